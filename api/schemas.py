"""Request and response schemas (marshmallow); also the source of the OpenAPI components."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from engine.clock import LOCAL_TZ
from engine.status import CHANNELS, STATUS_CODES


class LocalDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Ho_Chi_Minh (ISO 8601 with +07:00)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.astimezone(LOCAL_TZ).isoformat()


class Strict(Schema):
    class Meta:
        unknown = RAISE


# --- auth -------------------------------------------------------------------------------------------
class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MembershipIO(Strict):
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    roles = fields.List(fields.String())
    memberships = fields.List(fields.Nested(MembershipIO))


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)


# --- procedures -------------------------------------------------------------------------------------
class Names(Schema):
    vi = fields.String()
    en = fields.String()


class LegalTime(Schema):
    value = fields.Float()
    unit = fields.String()
    cutoff = fields.String(allow_none=True)
    source = fields.String()


class Fee(Schema):
    amount = fields.Integer()
    currency = fields.String()
    note = fields.String()


class DocumentOut(Schema):
    code = fields.String()
    name = fields.String()
    copies = fields.Integer()
    original = fields.Boolean()
    required = fields.Boolean()
    note = fields.String()


class StepOut(Schema):
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    time_budget = fields.String(allow_none=True)


class ProcedureSummary(Schema):
    code = fields.String()
    version = fields.Integer()
    name = fields.Nested(Names)
    level = fields.String()
    authority = fields.Nested(Names)
    legal_time = fields.Nested(LegalTime)
    fee = fields.Nested(Fee)


class ProcedureDetail(ProcedureSummary):
    content_hash = fields.String()
    documents = fields.List(fields.Nested(DocumentOut))
    result = fields.Dict()
    legal_source = fields.Dict()
    steps = fields.List(fields.Nested(StepOut))
    start_form = fields.Dict(allow_none=True)


class ProcedureList(Schema):
    items = fields.List(fields.Nested(ProcedureSummary))


# --- dossiers ---------------------------------------------------------------------------------------
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
    history = fields.List(fields.Nested(lambda: AuditOut()), attribute="events")


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
    amount = fields.Integer(strict=True, metadata={"description": "require_payment: VND"})
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
    rating = fields.Integer(required=True, strict=True, validate=validate.OneOf([1, 2, 3]))
    comment = fields.String(validate=validate.Length(max=2000))


class RatingOut(Schema):
    code = fields.String()
    rating = fields.Integer()
    rated_at = LocalDateTime()


class StatsQueryIn(Strict):
    start = fields.Date(required=True, metadata={"description": "first local day of the period"})
    end = fields.Date(required=True, metadata={"description": "day after the period (exclusive)"})
    group_by = fields.String(load_default="none", validate=validate.OneOf(["none", "unit", "procedure", "month"]))
    unit = fields.String()
    procedure = fields.String()


class FiguresOut(Schema):
    key = fields.String()
    received = fields.Integer()
    online = fields.Integer()
    supplement_requests = fields.Integer()
    processed = fields.Integer()
    early = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    open_within_time = fields.Integer()
    open_overdue = fields.Integer()
    paid = fields.Integer()
    paid_online = fields.Integer()
    ratings = fields.Integer()
    dissatisfied = fields.Integer()
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class StatsOut(Schema):
    start = fields.Date()
    end = fields.Date()
    group_by = fields.String()
    groups = fields.List(fields.Nested(FiguresOut))


class OverrideIn(Strict):
    working = fields.Boolean(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OverrideOut(Schema):
    day = fields.Date()
    working = fields.Boolean()
    name = fields.String()
    source = fields.String()


class CalendarDay(Schema):
    day = fields.Date()
    working = fields.Boolean()
    name = fields.String(allow_none=True)


class CalendarOut(Schema):
    year = fields.Integer()
    hours = fields.List(fields.List(fields.String()))
    days_off = fields.List(fields.Nested(CalendarDay), metadata={"description": "weekdays that are not worked"})
    working_weekend_days = fields.List(fields.Nested(CalendarDay))
    overrides = fields.List(fields.Nested(OverrideOut))


# --- tasks ------------------------------------------------------------------------------------------
class TaskQueryIn(Strict):
    view = fields.String(load_default="all", validate=validate.OneOf(["all", "assigned", "claimable", "team"]),
                         metadata={"description": "assigned: mine; claimable: unclaimed in my units and roles; "
                                                  "team: all open tasks of the units I lead"})
    procedure = fields.String()
    dossier = fields.String()
    unit = fields.String()
    due_before = fields.AwareDateTime(default_timezone=LOCAL_TZ)
    overdue = fields.Boolean()
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "dossier code or applicant name; case and diacritics ignored"})
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "priority", "age"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


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


class TaskPageOut(Schema):
    items = fields.List(fields.Nested(TaskOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class TaskDetailOut(TaskOut):
    form = fields.Dict(allow_none=True)


class TaskComplete(Strict):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class UserRef(Strict):
    user_id = fields.Integer(required=True, strict=True)


class PriorityIn(Strict):
    priority = fields.Integer(required=True, strict=True, validate=validate.Range(min=-100, max=100))


class CandidateOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    open_tasks = fields.Integer()
    overdue_tasks = fields.Integer()


class CandidateList(Schema):
    items = fields.List(fields.Nested(CandidateOut))


class HandoverIn(Strict):
    from_user = fields.Integer(required=True, strict=True)
    to_user = fields.Integer(required=True, strict=True)
    deactivate = fields.Boolean(load_default=False, metadata={"description": "disable the leaver's account"})


class HandoverOut(Schema):
    from_user = fields.Integer()
    to_user = fields.Integer()
    moved_tasks = fields.List(fields.String())
    moved_dossiers = fields.List(fields.String())
    skipped = fields.List(fields.Dict())
    deactivated = fields.Boolean()


class AuditOut(Schema):
    seq = fields.Integer()
    at = LocalDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_unit = fields.String(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    detail = fields.Dict()
    hash = fields.String()


class AuditList(Schema):
    items = fields.List(fields.Nested(AuditOut))


class UnitIO(Strict):
    code = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    level = fields.String(required=True, validate=validate.OneOf(["province", "commune"]))
    parent_code = fields.String(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)


class UnitList(Schema):
    items = fields.List(fields.Nested(UnitIO))


class RoleOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class RoleList(Schema):
    items = fields.List(fields.Nested(RoleOut))


class UserCreate(Strict):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9._-]{3,64}$"))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200), load_only=True)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, load_default=None)
    memberships = fields.List(fields.Nested(MembershipIO), load_default=list)


class UserPatch(Strict):
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    active = fields.Boolean()


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))


class TaskCompleted(Schema):
    id = fields.String()
    state = fields.String()
    dossier = fields.String()
    dossier_status = fields.String()
    next_tasks = fields.List(fields.Nested(TaskBrief))


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "field -> list of messages"})


class VerificationOut(Schema):
    ok = fields.Boolean()
    checked = fields.Integer()
    broken_at = fields.Integer(allow_none=True)
    reason = fields.String()
