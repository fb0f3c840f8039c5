"""Dossiers, lifecycle actions and public tracking."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from engine.dossiers.register import COUNT_LIMIT, MAX_LIMIT, MAX_OFFSET
from engine.dossiers.register import SORTS as REGISTER_SORTS
from engine.dossiers.status import CHANNELS, STATUS_CODES

from .common import INT32_MAX, Integer, LocalDateTime, Strict, supported_date
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


class RatingIn(Strict):
    pin = fields.String(required=True, validate=validate.Length(min=1, max=20))
    rating = Integer(required=True, strict=True, validate=validate.OneOf([1, 2, 3]))
    comment = fields.String(validate=validate.Length(max=2000))


class RatingOut(Schema):
    code = fields.String()
    rating = fields.Integer()
    rated_at = LocalDateTime()


def _statuses(value: str) -> None:
    unknown = sorted({s for s in value.split(",") if s} - set(STATUS_CODES))
    if unknown or not value.strip(","):
        raise ValidationError(f"Statuses, comma-separated, among: {', '.join(STATUS_CODES)}.")


class RegisterQueryIn(Strict):
    """The register's search; every date is a local (Asia/Ho_Chi_Minh) day, both ends included."""

    q = fields.String(validate=validate.Length(max=100), metadata={
        "description": "a 12-digit personal id or a tax code (matched exactly), or a part of the dossier code, "
                       "the applicant's or the business's name (case and diacritics ignored)"})
    procedure = fields.String(validate=validate.Length(min=1, max=64))
    unit = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "one of your units: dossiers it received or handles"})
    status = fields.String(validate=[validate.Length(max=400), _statuses],
                           metadata={"description": "one or more statuses, comma-separated"})
    channel = fields.String(validate=validate.OneOf(list(CHANNELS)))
    received_from = fields.Date(validate=supported_date)
    received_to = fields.Date(validate=supported_date)
    due_from = fields.Date(validate=supported_date)
    due_to = fields.Date(validate=supported_date)
    finished_from = fields.Date(validate=supported_date)
    finished_to = fields.Date(validate=supported_date)
    overdue = fields.Boolean(metadata={"description": "open and past the due date (true), or not (false)"})
    paused = fields.Boolean(metadata={"description": "the clock stopped for a supplement (true), or not"})
    sort = fields.String(load_default="received", validate=validate.OneOf(list(REGISTER_SORTS)))
    order = fields.String(load_default="desc", validate=validate.OneOf(["desc", "asc"]),
                          metadata={"description": "dates without a value come last either way; ties by id"})
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET),
                     metadata={"description": f"at most {MAX_OFFSET}; page further with `after`"})
    after = fields.String(validate=validate.Length(max=300),
                          metadata={"description": "the `next_cursor` of the previous page (keyset paging)"})


class RegisterExportIn(RegisterQueryIn):
    lang = fields.String(load_default="vi", validate=validate.OneOf(["vi", "en"]),
                         metadata={"description": "the headers' language"})

    class Meta(Strict.Meta):
        exclude = ("limit", "offset")


class RegisterItem(Schema):
    code = fields.String()
    procedure = fields.String(attribute="procedure_code")
    status = fields.String(metadata={"enum": list(STATUS_CODES)})
    status_code = fields.Integer()
    channel = fields.String()
    applicant_name = fields.String()
    applicant_kind = fields.String()
    applicant_key = fields.String(allow_none=True, metadata={"description": "personal id or tax code"})
    reception_unit = fields.String(allow_none=True)
    competent_unit = fields.String(allow_none=True)
    received_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    processed_at = LocalDateTime(allow_none=True)
    returned_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    paused_at = LocalDateTime(allow_none=True)
    supplement_count = fields.Integer()
    result_delivery = fields.String(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "open and past its due date now"})


class RegisterPageOut(Schema):
    items = fields.List(fields.Nested(RegisterItem))
    total = fields.Integer()
    total_kind = fields.String(metadata={"enum": ["exact", "about", "more_than"], "description": (
        "exact; about: PostgreSQL's estimate, when an exact count would take longer than the page (tens of "
        f"thousands of rows); more_than: at least {COUNT_LIMIT} (SQLite counts no further)")})
    limit = fields.Integer()
    offset = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "`after` for the next page"})
