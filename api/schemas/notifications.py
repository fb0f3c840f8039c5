"""Notifications, escalations and scheduler figures."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime


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
