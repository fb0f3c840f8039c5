"""The inbox and task actions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from engine.dossiers.priorities import PRIORITIES, name_of
from engine.time.clock import LOCAL_TZ

from .common import Integer, LocalDateTime, Strict, supported_date
from .dossiers import TaskBrief


class TaskQueryIn(Strict):
    view = fields.String(load_default="all", validate=validate.OneOf(["all", "assigned", "claimable", "team"]),
                         metadata={"description": "assigned: mine; claimable: unclaimed in my units and roles; "
                                                  "team: all open tasks of the units I lead"})
    procedure = fields.String()
    dossier = fields.String()
    unit = fields.String()
    due_before = fields.AwareDateTime(default_timezone=LOCAL_TZ, validate=supported_date)
    overdue = fields.Boolean()
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "dossier code or applicant name; case and diacritics ignored"})
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "priority", "age"]))
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = Integer(load_default=0, validate=validate.Range(min=0))


class PriorityName(fields.String):
    """A task's priority by its name on the scale; stored as its rank."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return name_of(value)


class TaskOut(TaskBrief):
    dossier = fields.String(attribute="dossier_code")
    procedure = fields.String(attribute="procedure_code")
    applicant_name = fields.String()
    form_key = fields.String(allow_none=True)
    unit = fields.String(attribute="unit_code", allow_none=True)
    priority = PriorityName(metadata={"enum": list(PRIORITIES),
                                      "description": "normal, urgent (khẩn), most_urgent (thượng khẩn)"})
    owner_id = fields.Integer(allow_none=True)
    claimed_at = LocalDateTime(allow_none=True)
    draft = fields.Dict(allow_none=True, metadata={
        "description": "the step's work in progress: the holder's saved draft, or a delegate's work come back"})
    draft_by = fields.Integer(allow_none=True)
    draft_at = LocalDateTime(allow_none=True)
    escalation_level = fields.Integer()
    overdue = fields.Boolean(metadata={"description": "past its due time now"})


class TaskPageOut(Schema):
    items = fields.List(fields.Nested(TaskOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class TaskDetailOut(TaskOut):
    form = fields.Dict(allow_none=True)


class TaskComplete(Strict):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class TaskCompleted(Schema):
    id = fields.String()
    state = fields.String()
    dossier = fields.String()
    dossier_status = fields.String()
    next_tasks = fields.List(fields.Nested(TaskBrief))


class PriorityIn(Strict):
    priority = fields.String(required=True, validate=validate.OneOf(list(PRIORITIES)),
                             metadata={"description": "normal, urgent (khẩn) or most_urgent (thượng khẩn)"})


class TaskDraftIn(Strict):
    data = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "the form's fields as they stand, checked only for the form's keys; {} clears the draft"})


class CandidateOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    open_tasks = fields.Integer()
    overdue_tasks = fields.Integer()


class CandidateList(Schema):
    items = fields.List(fields.Nested(CandidateOut))
