"""Notifications, escalations, incidents and scheduler figures."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import LocalDateTime, Strict


class NotificationOut(Schema):
    id = fields.Integer()
    subject = fields.String()
    body = fields.String()
    payload = fields.Dict()
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


class NotificationList(Schema):
    items = fields.List(fields.Nested(NotificationOut))


class EscalationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    dossier = fields.String()
    step = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    scheduled_at = LocalDateTime()
    fired_at = LocalDateTime()
    proposed_due_at = LocalDateTime(allow_none=True)


class EscalationList(Schema):
    items = fields.List(fields.Nested(EscalationOut))


class JobMetricsOut(Schema):
    job = fields.String()
    runs = fields.Integer()
    items = fields.Integer()
    max_lag_seconds = fields.Float()
    avg_lag_seconds = fields.Float()
    last_run = LocalDateTime(allow_none=True)


class JobMetricsList(Schema):
    items = fields.List(fields.Nested(JobMetricsOut))


class IncidentQuery(Strict):
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))
    procedure = fields.String(validate=validate.Length(max=100))
    dossier = fields.String(validate=validate.Length(max=100))


class IncidentOut(Schema):
    id = fields.Integer()
    dossier = fields.String(metadata={"description": "the dossier's code"})
    dossier_status = fields.String()
    procedure = fields.String()
    kind = fields.String(metadata={"description": "what the scheduler was doing: timer"})
    element = fields.String(allow_none=True, metadata={"description": "the BPMN element that failed"})
    element_name = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "script-error, time-limit, memory-limit, step-limit, "
                                                    "size-limit, depth-limit, forbidden, unstorable or internal"})
    message = fields.String()
    opened_at = LocalDateTime()
    last_attempt_at = LocalDateTime()
    attempts = fields.Integer()
    resolved_at = LocalDateTime(allow_none=True)
    resolved_by = fields.Integer(allow_none=True)


class IncidentList(Schema):
    items = fields.List(fields.Nested(IncidentOut))
