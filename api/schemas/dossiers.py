"""Dossiers, lifecycle actions and public tracking."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from engine.dossiers.actions import fee_owed
from engine.dossiers.applicants import DELIVERY, ApplicantIn
from engine.dossiers.counter import MAX_GUIDANCE, MAX_LINE, MAX_LINES, MAX_QUANTITY, PAPER_KINDS
from engine.dossiers.lookup import REUSABLE
from engine.dossiers.population import APPLICANT_FIELDS
from engine.dossiers.register import COUNT_LIMIT, MAX_LIMIT, MAX_OFFSET
from engine.dossiers.register import SORTS as REGISTER_SORTS
from engine.dossiers.status import CHANNELS, STATUS_CODES

from .citizen import SituationOut
from .common import INT32_MAX, Integer, LocalDateTime, Strict, supported_date
from .organisation import AuditOut
from .portal import AttachmentOut


class Applicant(ApplicantIn):
    """A person (`kind` person: `id_number`, 12 digits) or a business (`kind` business: `tax_code`, 10 digits or
    10-3, and its `representative`)."""


class HandedInIO(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "the document's code in the procedure"})
    kind = fields.String(required=True, validate=validate.OneOf(PAPER_KINDS))
    quantity = Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))
    name = fields.String(dump_only=True)


class DossierCreate(Strict):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=64))
    applicant = fields.Nested(Applicant, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict)
    channel = fields.String(load_default="counter", validate=validate.OneOf(list(CHANNELS)))
    competent_unit = fields.String(validate=validate.Length(min=1, max=64),
                                   metadata={"description": "defaults to the receiving unit"})
    result_delivery = fields.String(validate=validate.OneOf(DELIVERY), metadata={
        "description": "how the applicant wants the result: at the counter, by post, or electronically"})
    reused_fields = fields.List(fields.String(validate=validate.OneOf(REUSABLE)), load_default=list,
                                validate=validate.Length(max=len(REUSABLE)), metadata={
        "description": "applicant fields confirmed from the look-up (GET /applicants/{key}); each must carry "
                       "the value on file"})
    population_fields = fields.List(fields.String(validate=validate.OneOf(list(APPLICANT_FIELDS))),
                                    load_default=list, validate=validate.Length(max=len(APPLICANT_FIELDS)), metadata={
        "description": "applicant fields filled from the population database (POST /population/lookups); each "
                       "must carry the value that look-up returned for this applicant"})
    population_lookup = Integer(strict=True, validate=validate.Range(min=1, max=INT32_MAX), metadata={
        "description": "the look-up (its `lookup_id`) that proves `population_fields`"})
    documents = fields.List(fields.Nested(HandedInIO), validate=validate.Length(max=100), metadata={
        "description": "counter and postal: the papers handed in. Given, the dossier is received only when "
                       "every required document is in it; otherwise it is registered with the written guidance "
                       "(form 02) listing what is missing, and a person's `id_number` is required"})
    missing = fields.List(fields.String(validate=validate.Length(min=1, max=MAX_LINE)),
                          validate=validate.Length(max=MAX_LINES), load_default=list,
                          metadata={"description": "anything else missing or to correct, for the guidance"})
    guidance = fields.String(load_default="", validate=validate.Length(max=MAX_GUIDANCE))


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


class NestedAnswers(fields.Raw):
    """A group's answers, or a dynamic list's rows of answers, as plain objects (the schema is recursive, which
    the compiled dumpers do not follow)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return []
        return [_plain(v) for v in value]


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return {k: v for k, v in asdict(value).items()} if is_dataclass(value) else value


class ReadFieldOut(Schema):
    """One answer of a form, labelled from the form it was entered in."""

    key = fields.String()
    label = fields.String()
    type = fields.String(metadata={"description": "form-js component type (textfield, number, checkbox, radio, "
                                                  "select, checklist, datetime, group, dynamiclist, ...); "
                                                  "`unknown`: a key the form does not have"})
    value = fields.Raw(allow_none=True, metadata={"description": "as stored: dates as YYYY-MM-DD"})
    subtype = fields.String(allow_none=True, metadata={"description": "datetime: date, time or datetime"})
    choices = fields.List(fields.String(), allow_none=True,
                          metadata={"description": "radio, select, checklist, taglist: the chosen options' labels"})
    children = NestedAnswers(metadata={"description": "a group's fields: a list of these same objects"})
    items = NestedAnswers(metadata={"description": "a dynamic list's rows: each a list of these same objects"})


class StepBrief(TaskBrief):
    data = fields.Dict(attribute="submitted", allow_none=True,
                       metadata={"description": "what was submitted when the step was completed"})


class DossierOut(Schema):
    code = fields.String(attribute="dossier.code")
    procedure = fields.String(attribute="dossier.procedure_code")
    procedure_version = fields.Integer(attribute="dossier.procedure_version_id")
    status = fields.String(attribute="dossier.status", metadata={"enum": list(STATUS_CODES)})
    status_code = fields.Integer()
    channel = fields.String(attribute="dossier.channel")
    portal_code = fields.String(attribute="dossier.portal_code", allow_none=True, metadata={
        "description": "the national portal's dossier code (MaHoSo) when it was submitted there"})
    portal_documents = fields.List(fields.Dict(), attribute="dossier.portal_documents", allow_none=True, metadata={
        "description": "the documents the national portal listed: name, document_code, url (the files stay there)"})
    applicant = fields.Dict(attribute="dossier.applicant")
    applicant_kind = fields.String(attribute="dossier.applicant_kind")
    result_delivery = fields.String(attribute="dossier.result_delivery", allow_none=True,
                                    metadata={"enum": list(DELIVERY)})
    reused_fields = fields.List(fields.String(), attribute="dossier.reused_fields", allow_none=True,
                                metadata={"description": "applicant data taken from earlier dossiers"})
    field_sources = fields.Dict(keys=fields.String(), values=fields.String(), attribute="dossier.field_sources",
                                allow_none=True, metadata={"description": "where applicant fields came from: "
                                                           "`population` (national database), `vneid`, `motcua`"})
    received_documents = fields.List(fields.Nested(HandedInIO), attribute="dossier.received_documents",
                                     allow_none=True, metadata={"description": "the papers handed in"})
    missing_documents = fields.List(fields.String(), attribute="dossier.missing_documents", allow_none=True,
                                    metadata={"description": "what the written guidance said was missing"})
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
    fee_owed = fields.Function(lambda v: fee_owed(v.dossier), metadata={
        "description": "a fee is due, neither paid nor waived: the result cannot be returned yet"})
    fee_exempted_at = LocalDateTime(attribute="dossier.fee_exempted_at", allow_none=True)
    fee_exempted_by = fields.Integer(attribute="dossier.fee_exempted_by", allow_none=True)
    fee_exemption_reason = fields.String(attribute="dossier.fee_exemption_reason", allow_none=True)
    rating = fields.Integer(attribute="dossier.rating", allow_none=True)
    allowed_actions = fields.List(fields.String())
    declaration = fields.List(fields.Nested(ReadFieldOut), metadata={
        "description": "`data`, each value with its label from the procedure version's start form"})
    open_tasks = fields.List(fields.Nested(TaskBrief))
    steps = fields.List(fields.Nested(StepBrief), metadata={"description": "completed steps, with their data"})
    history = fields.List(fields.Nested(AuditOut), attribute="events")
    attachments = fields.List(fields.Nested(AttachmentOut), metadata={"description": "files sent online"})


class StepRecordOut(StepBrief):
    unit = fields.String(attribute="unit_code", allow_none=True)
    form_key = fields.String(allow_none=True)
    completed_by_name = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    fields_ = fields.List(fields.Nested(ReadFieldOut), data_key="fields",
                          attribute="fields", metadata={"description": "`data`, labelled from the step's form"})


class DossierStepsOut(Schema):
    code = fields.String(attribute="dossier.code")
    declaration = fields.List(fields.Nested(ReadFieldOut), metadata={
        "description": "the citizen's declaration, labelled from the start form"})
    data = fields.Dict(attribute="dossier.data", metadata={"description": "the declaration as submitted"})
    steps = fields.List(fields.Nested(StepRecordOut), metadata={
        "description": "every step in the order it happened: completed ones with who completed them, when and "
                       "what they submitted; open, paused and cancelled ones too"})


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
    result_delivery = fields.String(attribute="dossier.result_delivery", allow_none=True)
    reused_fields = fields.List(fields.String(), attribute="dossier.reused_fields", allow_none=True)
    missing_documents = fields.List(fields.String(), attribute="dossier.missing_documents", allow_none=True,
                                    metadata={"description": "not received: what the guidance (form 02) lists"})


class KnownApplicant(Schema):
    source = fields.String(metadata={"description": "where the data come from: `motcua` (earlier dossiers)"})
    kind = fields.String()
    key = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields",
                          metadata={"description": "name, id_number or tax_code, representative, phone, email, "
                                                   "address, as far as known"})
    dossier = fields.String(attribute="dossier_code", allow_none=True)
    as_of = LocalDateTime(allow_none=True)


class ApplicantLookup(Schema):
    key = fields.String()
    found = fields.List(fields.Nested(KnownApplicant), metadata={"description": "one entry per source, first wins"})


class ActionIn(Strict):
    """Parameters of a lifecycle action; each action says which it requires (see the action list)."""

    documents = fields.List(fields.String(), metadata={"description": "receive: codes of documents handed in"})
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                          metadata={"description": "refuse: why"})
    missing = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                          metadata={"description": "request_supplement: what is missing"})
    guidance = fields.String(validate=validate.Length(max=4000))
    reason = fields.String(validate=validate.Length(max=2000), metadata={"description": "stop, withdraw, exempt_fee"})
    amount = Integer(strict=True, validate=validate.Range(max=INT32_MAX),  # stored in an `integer` column
                     metadata={"description": "require_payment: VND"})
    online = fields.Boolean(metadata={"description": "record_payment: paid through an online channel"})
    receipt = fields.String(validate=validate.Length(max=200))
    recipient = fields.String(validate=validate.Length(max=200), metadata={"description": "return_result"})
    # `reason` also serves exempt_fee: why the leader waives the fee
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
    portal_code = fields.String(allow_none=True, metadata={"description": "the national portal's dossier code "
                                                                          "(MaHoSo) when it was submitted there"})
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
