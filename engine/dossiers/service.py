"""Dossier use cases: submit, receive, complete a step, read. Each runs in one unit of work, one commit."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.procedures.catalog import current_version
from engine.procedures.escalation_rules import apology_at
from engine.procedures.form_reading import ReadField, read_form
from engine.procedures.forms import applicant_bindings
from engine.procedures.metadata import fee_for
from engine.procedures.serialization import dump_workflow
from engine.procedures.specs import CompiledProcedure
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork
from engine.time.deadlines import dossier_due

from .access import may_see_dossier, may_see_task, may_work_task
from .actions import OPEN_STATUSES, available_actions
from .applicants import record_sources, stamp_applicant
from .attachments import AttachmentRef, attachments_of
from .codes import new_pin, next_code
from .models import Dossier, Escalation, TaskRecord
from .projection import COMPLETED, OPEN, STEP_ORDER, SUSPENDED, sync_tasks
from .run_errors import process_error
from .status import CHANNELS, STATUS_CODES
from .workflows import advance, end_status, new_workflow, ready_user_task, restore_workflow, schedule_timers

RETURN_PROPERTY = "returnToOwner"  # on a step: work done by a delegate comes back to the owner


@dataclass(frozen=True)
class Submission:
    procedure: str
    applicant: dict[str, Any]
    data: dict[str, Any]
    channel: str
    submission_key: str | None = None
    competent_unit: str | None = None
    result_delivery: str | None = None  # applicants.DELIVERY
    reused_fields: tuple[str, ...] = ()  # applicant fields taken from earlier dossiers (checked by the caller)
    # applicant field -> its source ("vneid", "population"), checked by the caller; each joins reused_fields
    field_sources: dict[str, str] = field(default_factory=dict)
    received_documents: tuple[dict[str, Any], ...] | None = None  # handed in at the counter (counter.py)
    receive: bool | None = None  # None: received at once only at the counter


@dataclass(frozen=True)
class Submitted:
    dossier: Dossier
    pin: str | None  # shown once; None when an Idempotency-Key replays an earlier submission


def pin_digest(secret: str, code: str, pin: str) -> str:
    """Keyed hash of the tracking PIN: a stolen table alone cannot be brute-forced over 10^6 PINs."""
    return hmac.new(secret.encode(), f"{code}:{pin}".encode(), hashlib.sha256).hexdigest()


def submit(uow: UnitOfWork, actor: Actor, sub: Submission) -> Submitted:
    """Register a dossier. At the counter the officer has checked it, so it is received at once and its
    workflow starts; online and postal dossiers wait in `registered` for a reception officer."""
    submitted = open_dossier(uow, actor, sub)
    uow.commit()
    return submitted


def earlier_submission(uow: UnitOfWork, actor: Actor, key: str | None) -> Dossier | None:
    """The dossier this officer already created with this Idempotency-Key, if any."""
    if not key:
        return None
    return uow.session.scalars(select(Dossier).where(
        Dossier.created_by == actor.user_id, Dossier.submission_key == key)).first()


def open_dossier(uow: UnitOfWork, actor: Actor, sub: Submission) -> Submitted:
    """`submit` without the commit: the caller adds what belongs to the same transaction, then commits."""
    session = uow.session
    earlier = earlier_submission(uow, actor, sub.submission_key)
    if earlier is not None:
        return Submitted(earlier, None)
    if sub.channel not in CHANNELS:
        raise ValidationFailed("unknown channel", {"channel": [f"Must be one of: {', '.join(CHANNELS)}."]})
    compiled = current_version(session, uow.cache, sub.procedure)
    data = validate_declaration(compiled, sub.data, sub.applicant)
    reception_unit = actor.unit_for("reception") or actor.unit_code
    competent_unit = sub.competent_unit or reception_unit
    if competent_unit not in uow.org.tree(session).level:
        raise ValidationFailed("unknown unit", {"competent_unit": [f"No unit '{competent_unit}'."]})
    now = uow.clock()
    code = next_code(session, uow.code_pattern, unit=reception_unit, prefix=uow.code_prefix,
                     procedure=compiled.code, now=now)
    pin = new_pin()
    dossier = Dossier(
        code=code, procedure_code=compiled.code, procedure_version_id=compiled.version_id,
        status="registered", channel=sub.channel, applicant_name=sub.applicant["name"],
        applicant=sub.applicant, data=data, reception_unit=reception_unit, handler_id=actor.user_id,
        competent_unit=competent_unit, submission_key=sub.submission_key,
        pin_hash=pin_digest(uow.pin_secret, code, pin), fee_amount=fee_for(compiled.meta, sub.channel),
        created_by=actor.user_id, created_at=now, updated_at=now, paused_seconds=0, supplement_count=0,
        result_delivery=sub.result_delivery,
        received_documents=list(sub.received_documents) if sub.received_documents is not None else None,
    )
    record_sources(dossier, sub.reused_fields, sub.field_sources)
    stamp_applicant(dossier)
    session.add(dossier)
    try:
        session.flush()
    except IntegrityError:  # the same submission key raced in from a second request
        session.rollback()
        raise Conflict("this submission is already being processed") from None
    detail: dict[str, Any] = {"channel": sub.channel, "version": compiled.version_id}
    if sub.result_delivery:
        detail["result_delivery"] = sub.result_delivery
    if dossier.reused_fields:
        detail["reused_fields"] = list(dossier.reused_fields)
    if sub.field_sources:
        detail["field_sources"] = dict(sub.field_sources)
    uow.record(actor, "submitted", "dossier", dossier.code, unit=dossier.reception_unit, dossier_id=dossier.id,
               after={"status": dossier.status}, detail=detail)
    if sub.channel == "counter" if sub.receive is None else sub.receive:
        received = {"documents": list(sub.received_documents)} if sub.received_documents else {}
        receive(session, uow, dossier, compiled, actor, now, received)
    return Submitted(dossier, pin)


def receive(session: Session, uow: UnitOfWork, dossier: Dossier, compiled: CompiledProcedure, actor: Actor,
            now: datetime, detail: dict[str, Any]) -> None:
    """A valid dossier is received: the legal clock starts and the workflow runs to its first human step."""
    calendar = uow.calendar
    workflow = new_workflow(compiled, dossier.data, uow.scripts)
    advance(workflow)
    dossier.status, dossier.received_at = "received", now
    dossier.due_at = dossier_due(calendar, compiled.meta, now, dossier.channel)
    dossier.apology_at = apology_at(calendar, compiled.meta, dossier.due_at)
    save_workflow(dossier, workflow, calendar, now, compiled.has_timers)
    session.flush()
    sync_tasks(session, dossier, workflow, compiled, now, calendar, known_open=[])
    uow.record(actor, "received", "dossier", dossier.code, unit=dossier.reception_unit, dossier_id=dossier.id,
               after={"status": dossier.status, "due_at": dossier.due_at.isoformat()}, detail=detail)


# What completing a step reads of a dossier; the rest (applicant, declaration, ...) is not loaded.
HOT_COLUMNS = (Dossier.id, Dossier.code, Dossier.status, Dossier.state, Dossier.lock_version,
               Dossier.procedure_code, Dossier.applicant_name,
               Dossier.procedure_version_id, Dossier.reception_unit, Dossier.competent_unit, Dossier.updated_at,
               Dossier.processed_at, Dossier.finished_at, Dossier.next_timer_at, Dossier.apology_at)


# One query brings the task, its dossier, and the dossier's other open tasks (for the projection). Built
# once: SQLAlchemy then reuses its cache key and compiled form instead of rebuilding them per request.
_task_id = bindparam("task_id")
TASK_WITH_DOSSIER = (
    select(TaskRecord, Dossier).join(Dossier, Dossier.id == TaskRecord.dossier_id)
    .where(TaskRecord.dossier_id == select(TaskRecord.dossier_id).where(TaskRecord.id == _task_id).scalar_subquery(),
           or_(TaskRecord.state == OPEN, TaskRecord.id == _task_id))
    .options(load_only(*HOT_COLUMNS)))


@dataclass(frozen=True)
class Completion:
    task: TaskRecord
    dossier: Dossier
    next_tasks: list[TaskRecord]


def complete_task(uow: UnitOfWork, actor: Actor, task_id: str, data: Any) -> Completion:
    """Complete a human step with its form data; the workflow runs on to the next human step."""
    session = uow.session
    pairs = session.execute(TASK_WITH_DOSSIER, {"task_id": task_id}).all()
    rows = [task for task, _ in pairs]
    row = next((r for r in rows if r.id == task_id), None)
    dossier = pairs[0][1] if pairs else None
    if row is None or dossier is None or not may_see_task(actor, row):
        raise NotFound(f"task {task_id} does not exist")
    if not may_work_task(actor, row):
        raise Forbidden(f"task {task_id} belongs to the '{row.role}' role")
    if row.state == SUSPENDED or dossier.status not in OPEN_STATUSES:
        raise Conflict(f"dossier {dossier.code} is {dossier.status}; its steps wait",
                       dossier_status=dossier.status, allowed_actions=available_actions(dossier))
    if row.state != OPEN:
        raise Conflict(f"task {task_id} is already {row.state}", state=row.state)
    if row.assignee_id != actor.user_id:
        raise Conflict("claim the task first" if row.assignee_id is None else "the task is assigned to someone else",
                       assignee_id=row.assignee_id)
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    if data in (None, {}) and row.draft is not None:  # the owner accepts the delegate's work as it is
        data = row.draft
    cleaned = validate_form(compiled, row.form_key, data)
    step = compiled.steps.get(row.bpmn_id)
    if row.owner_id is not None and row.owner_id != actor.user_id and step is not None \
            and step.properties.get(RETURN_PROPERTY) == "true":
        return _return_to_owner(uow, actor, row, dossier, cleaned)
    workflow = restore_workflow(compiled, dossier.state, uow.scripts)
    task = ready_user_task(workflow, task_id)
    task.data.update(cleaned)
    advance(workflow, run=task)  # the step's post-script runs within the step's bounds too

    now, before = uow.clock(), dossier.status
    if dossier.status == "received":
        dossier.status = "processing"
    save_workflow(dossier, workflow, uow.calendar, now, compiled.has_timers)
    if row.escalation_level >= 2 or dossier.finished_at is not None:
        resolve_escalations(session, dossier.id, None if dossier.finished_at else task_id, now)
    row.state, row.completed_at, row.completed_by = COMPLETED, now, actor.user_id
    row.submitted = cleaned  # kept for the dossier's readers: the leader signing sees the appraisal
    if row.draft is not None:
        row.draft = row.draft_by = row.draft_at = None
    row.on_time = None if row.due_at is None else now <= row.due_at
    created = sync_tasks(session, dossier, workflow, compiled, now, uow.calendar, known_open=rows)
    uow.record(actor, "task_completed", "task", task_id, unit=row.unit_code, dossier_id=dossier.id,
               task_id=task_id, step=row.name, before={"status": before},
               after={"status": dossier.status, "next": [t.bpmn_id for t in created]},
               detail={"bpmn_id": row.bpmn_id, "on_time": row.on_time, "data": cleaned})
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("the dossier was changed by someone else; reload and try again") from None
    return Completion(task=row, dossier=dossier, next_tasks=created)


def _return_to_owner(uow: UnitOfWork, actor: Actor, row: TaskRecord, dossier: Dossier,
                     cleaned: dict[str, Any]) -> Completion:
    """A delegate's work on a step marked so goes back to the owner, who completes it (or changes it)."""
    row.draft, row.assignee_id = cleaned, row.owner_id
    row.draft_by, row.draft_at = actor.user_id, uow.clock()
    uow.record(actor, "delegation_resolved", "task", row.id, unit=row.unit_code, dossier_id=dossier.id,
               task_id=row.id, step=row.name, before={"assignee_id": actor.user_id},
               after={"assignee_id": row.owner_id}, detail={"data": cleaned})
    uow.commit()
    return Completion(task=row, dossier=dossier, next_tasks=[])


def fill_from_applicant(schema_json: dict[str, Any] | None, data: Any, applicant: dict[str, Any]) -> Any:
    """The declaration's fields that repeat the applicant's details (forms.applicant_bindings), filled from them
    where the applicant left them empty: the applicant types them once."""
    if not isinstance(data, dict) or not schema_json:
        return data
    filled = dict(data)
    for key, detail in applicant_bindings(schema_json).items():
        if filled.get(key) in (None, "") and isinstance(applicant.get(detail), str) and applicant[detail]:
            filled[key] = applicant[detail]
    return filled


def validate_declaration(compiled: CompiledProcedure, data: Any, applicant: dict[str, Any]) -> dict[str, Any]:
    """The start form's data, checked, after the fields that repeat the applicant's details are filled from them
    (on every channel: online, at the counter, through the API)."""
    schema_json = compiled.forms[compiled.start_form].schema_json if compiled.start_form else None
    return validate_form(compiled, compiled.start_form, fill_from_applicant(schema_json, data, applicant))


def validate_form(compiled: CompiledProcedure, form_key: str | None, data: Any) -> dict[str, Any]:
    if form_key is None:
        if data not in (None, {}):
            raise ValidationFailed("this step takes no data", {"data": ["This step has no form."]})
        return {}
    return compiled.forms[form_key].validate(data if data is not None else {})


def save_workflow(dossier: Dossier, workflow: Any, calendar: Any, now: datetime, has_timers: bool = True) -> None:
    """Store the workflow with what the scheduler needs to know of it, and finish the dossier at its end."""
    dossier.next_timer_at = schedule_timers(workflow, calendar, now) if has_timers else None
    try:  # the sandbox checks what scripts leave; this is the last line, never a 500
        dossier.state = dump_workflow(workflow)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise process_error(f"the dossier's data cannot be stored: {exc}", reason="unstorable") from exc
    dossier.updated_at = now
    if workflow.is_completed():
        dossier.status = end_status(workflow) or "processed"
        dossier.processed_at = dossier.finished_at = now
        dossier.apology_at = dossier.next_timer_at = None


_ESCALATIONS = Escalation.__table__
_RESOLVE_TASK = (_ESCALATIONS.update().values(resolved_at=bindparam("now"))
                 .where(_ESCALATIONS.c.task_id == bindparam("key"), _ESCALATIONS.c.resolved_at.is_(None)))
_RESOLVE_DOSSIER = (_ESCALATIONS.update().values(resolved_at=bindparam("now"))
                    .where(_ESCALATIONS.c.dossier_id == bindparam("key"), _ESCALATIONS.c.resolved_at.is_(None)))


def resolve_escalations(session: Session, dossier_id: int, task_id: str | None, now: datetime) -> None:
    """Close the open escalations of a completed step (or, with no step, of a finished dossier)."""
    statement, key = (_RESOLVE_TASK, task_id) if task_id else (_RESOLVE_DOSSIER, dossier_id)
    session.connection().execute(statement, {"now": now, "key": key})


@dataclass(frozen=True)
class DossierView:
    dossier: Dossier
    open_tasks: list[TaskRecord]
    steps: list[TaskRecord]
    events: list[AuditEntry]
    allowed_actions: list[str]
    attachments: list[AttachmentRef] = field(default_factory=list)
    declaration: list[ReadField] = field(default_factory=list)  # the submitted data, labelled

    @property
    def status_code(self) -> int:
        return STATUS_CODES[self.dossier.status]


_BY_CODE = select(Dossier).where(Dossier.code == bindparam("code"))


def find_dossier(session: Session, actor: Actor, code: str) -> Dossier:
    dossier = session.scalars(_BY_CODE, {"code": code}).first()
    if dossier is None or not may_see_dossier(actor, dossier):
        raise NotFound(f"dossier {code} does not exist")
    return dossier


def get_dossier(uow: UnitOfWork, actor: Actor, code: str) -> DossierView:
    """Read a dossier from its columns and the projection; the workflow is not deserialized."""
    session = uow.session
    dossier = find_dossier(session, actor, code)
    tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id)
                                 .order_by(*STEP_ORDER)))
    events = list(session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                                  .order_by(AuditEntry.seq)))
    return DossierView(dossier=dossier, open_tasks=[t for t in tasks if t.state in (OPEN, SUSPENDED)],
                       steps=[t for t in tasks if t.state == COMPLETED], events=events,
                       allowed_actions=available_actions(dossier, actor),
                       attachments=attachments_of(session, dossier),
                       declaration=declaration_of(uow.cache.get(session, dossier.procedure_version_id), dossier))


def form_schema(compiled: CompiledProcedure, form_key: str | None) -> dict[str, Any] | None:
    form = compiled.forms.get(form_key) if form_key else None
    return form.schema_json if form is not None else None


def declaration_of(compiled: CompiledProcedure, dossier: Dossier) -> list[ReadField]:
    """The submitted declaration, labelled from the start form of the dossier's own procedure version."""
    return read_form(form_schema(compiled, compiled.start_form), dossier.data)
