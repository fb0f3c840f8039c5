"""The national portal's dossier sync as officers see it (engine/sync/)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import LocalDateTime, Strict

SYNC_STATES = ["synced", "pending", "failed", "none"]


class PortalSyncOut(Schema):
    code = fields.String(metadata={"description": "the dossier's code"})
    state = fields.String(metadata={"description": "the latest message's: synced, pending (waiting or retried), "
                                                   "failed (refused by the portal), none (nothing queued yet)"})
    reason = fields.String(allow_none=True, metadata={"description": "the portal's reason (failed), or the last "
                                                                     "error of a message being retried"})
    last_sent_at = LocalDateTime(allow_none=True)
    last_queued_at = LocalDateTime(allow_none=True)
    next_attempt_at = LocalDateTime(allow_none=True)
    attempts = fields.Integer()
    pending = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    may_resend = fields.Boolean(metadata={"description": "the caller is a leader of the dossier's units"})


class PortalSyncItem(PortalSyncOut):
    procedure_code = fields.String()
    applicant_name = fields.String()
    status = fields.String()


class SyncRateOut(Schema):
    changed = fields.Integer(metadata={"description": "dossiers changed in the period"})
    on_time = fields.Integer(metadata={"description": "... whose latest state reached the portal in time"})
    rate = fields.Float(allow_none=True)
    target_minutes = fields.Integer()
    days = fields.Integer()


class PortalSyncList(Schema):
    items = fields.List(fields.Nested(PortalSyncItem))
    rate = fields.Nested(SyncRateOut)


class PortalSyncQuery(Strict):
    state = fields.String(load_default="failed,pending", validate=validate.Length(max=40), metadata={
        "description": "one or more of synced, pending, failed, comma-separated"})
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366),
                          metadata={"description": "the period of the sync rate, in days up to now"})


class ResendIn(Strict):
    codes = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                        validate=validate.Length(min=1, max=200))


class ResendOut(Schema):
    codes = fields.List(fields.String(), metadata={"description": "the dossiers a fresh message was queued for"})
