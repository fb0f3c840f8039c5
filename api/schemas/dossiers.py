"""Dossiers, lifecycle actions and public tracking."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.dossiers.status import CHANNELS, STATUS_CODES

from .citizen import SituationOut
from .common import INT32_MAX, Integer, LocalDateTime, Strict
from .organisation import AuditOut
from .portal import AttachmentOut


class Applicant(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    id_number = fields.String(validate=validate.Regexp(r"^[0-9]{12}$", error="12 digits expected."))
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 .-]{8,15}$"))
    email = fields.Email()
    address = fields.String(validate=validate.Length(max=500))


class DossierCreate(Strict):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=64))
    applicant = fields.Nested(Applicant, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict)
    channel = fields.String(load_default="counter", validate=validate.OneOf(list(CHANNELS)))
    competent_unit = fields.String(validate=validate.Length(min=1, max=64),
                                   metadata={"description": "defaults to the receiving unit"})


class TaskBrief(Schema):
    id = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    completed_by = fields.Integer(allow_none=True)
    on_time = fields.Boolean(allow_none=True)


class DossierOut(Schema):
    code = fields.String(attribute="dossier.code")
    procedure = fields.String(attribute="dossier.procedure_code")
    procedure_version = fields.Integer(attribute="dossier.procedure_version_id")
    status = fields.String(attribute="dossier.status", metadata={"enum": list(STATUS_CODES)})
    status_code = fields.Integer()
    channel = fields.String(attribute="dossier.channel")
    applicant = fields.Dict(attribute="dossier.applicant")
    data = fields.Dict(attribute="dossier.data")
    reception_unit = fields.String(attribute="dossier.reception_unit", allow_none=True)
    competent_unit = fields.String(attribute="dossier.competent_unit", allow_none=True)
    created_at = LocalDateTime(attribute="dossier.created_at")
    updated_at = LocalDateTime(attribute="dossier.updated_at")
    received_at = LocalDateTime(attribute="dossier.received_at", allow_none=True)
    due_at = LocalDateTime(attribute="dossier.due_at", allow_none=True)
    processed_at = LocalDateTime(attribute="dossier.processed_at", allow_none=True)
    returned_at = LocalDateTime(attribute="dossier.returned_at", allow_none=True)
    finished_at = LocalDateTime(attribute="dossier.finished_at", allow_none=True)
    paused_at = LocalDateTime(attribute="dossier.paused_at", allow_none=True)
    paused_seconds = fields.Integer(attribute="dossier.paused_seconds")
    supplement_count = fields.Integer(attribute="dossier.supplement_count")
    fee_amount = fields.Integer(attribute="dossier.fee_amount")
    paid_at = LocalDateTime(attribute="dossier.paid_at", allow_none=True)
    paid_online = fields.Boolean(attribute="dossier.paid_online", allow_none=True)
    rating = fields.Integer(attribute="dossier.rating", allow_none=True)
    allowed_actions = fields.List(fields.String())
    open_tasks = fields.List(fields.Nested(TaskBrief))
    steps = fields.List(fields.Nested(TaskBrief))
    history = fields.List(fields.Nested(AuditOut), attribute="events")
    attachments = fields.List(fields.Nested(AttachmentOut), metadata={"description": "files sent online"})


class DossierCreated(Schema):
    code = fields.String(attribute="dossier.code")
    pin = fields.String(allow_none=True, metadata={"description": "tracking PIN, shown only in this response"})
    status = fields.String(attribute="dossier.status")
    status_code = fields.Function(lambda s: STATUS_CODES[s.dossier.status])
    procedure = fields.String(attribute="dossier.procedure_code")
    procedure_version = fields.Integer(attribute="dossier.procedure_version_id")
    created_at = LocalDateTime(attribute="dossier.created_at")
    received_at = LocalDateTime(attribute="dossier.received_at", allow_none=True)
    due_at = LocalDateTime(attribute="dossier.due_at", allow_none=True)


class ActionIn(Strict):
    """Parameters of a lifecycle action; each action says which it requires (see the action list)."""

    documents = fields.List(fields.String(), metadata={"description": "receive: codes of documents handed in"})
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                          metadata={"description": "refuse: why"})
    missing = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                          metadata={"description": "request_supplement: what is missing"})
    guidance = fields.String(validate=validate.Length(max=4000))
    reason = fields.String(validate=validate.Length(max=2000), metadata={"description": "stop, withdraw"})
    amount = Integer(strict=True, validate=validate.Range(max=INT32_MAX),  # stored in an `integer` column
                     metadata={"description": "require_payment: VND"})
    online = fields.Boolean(metadata={"description": "record_payment: paid through an online channel"})
    receipt = fields.String(validate=validate.Length(max=200))
    recipient = fields.String(validate=validate.Length(max=200), metadata={"description": "return_result"})
    note = fields.String(validate=validate.Length(max=4000))


class PublicStep(Schema):
    name = fields.String()
    state = fields.String()
    started_at = LocalDateTime(attribute="created_at")
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)


class PublicDossier(Schema):
    """What anyone with the code and PIN may see: no personal data."""

    code = fields.String(attribute="dossier.code")
    procedure = fields.Dict(attribute="procedure_name")
    status = fields.String(attribute="dossier.status")
    status_code = fields.Function(lambda v: STATUS_CODES[v.dossier.status])
    channel = fields.String(attribute="dossier.channel")
    received_at = LocalDateTime(attribute="dossier.received_at", allow_none=True)
    due_at = LocalDateTime(attribute="dossier.due_at", allow_none=True)
    processed_at = LocalDateTime(attribute="dossier.processed_at", allow_none=True)
    returned_at = LocalDateTime(attribute="dossier.returned_at", allow_none=True)
    finished_at = LocalDateTime(attribute="dossier.finished_at", allow_none=True)
    steps = fields.List(fields.Nested(PublicStep))
    situation = fields.Nested(SituationOut, metadata={"description": "why, and what to do: the supplement asked "
                                                                    "for, the reasons of a refusal or stop, the fee, "
                                                                    "the result's date and place"})


class RatingIn(Strict):
    pin = fields.String(required=True, validate=validate.Length(min=1, max=20))
    rating = Integer(required=True, strict=True, validate=validate.OneOf([1, 2, 3]))
    comment = fields.String(validate=validate.Length(max=2000))


class RatingOut(Schema):
    code = fields.String()
    rating = fields.Integer()
    rated_at = LocalDateTime()
