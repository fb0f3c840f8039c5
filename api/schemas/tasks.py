"""The inbox and task actions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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


class TaskOut(TaskBrief):
    dossier = fields.String(attribute="dossier_code")
    procedure = fields.String(attribute="procedure_code")
    applicant_name = fields.String()
    form_key = fields.String(allow_none=True)
    unit = fields.String(attribute="unit_code", allow_none=True)
    priority = fields.Integer()
    owner_id = fields.Integer(allow_none=True)
    claimed_at = LocalDateTime(allow_none=True)
    draft = fields.Dict(allow_none=True)
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
    priority = Integer(required=True, strict=True, validate=validate.Range(min=-100, max=100))


class CandidateOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    open_tasks = fields.Integer()
    overdue_tasks = fields.Integer()


class CandidateList(Schema):
    items = fields.List(fields.Nested(CandidateOut))
