"""Dossier use cases: submit, complete a step, read. Each runs in one unit of work, one commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .actors import Actor
from .catalog import current_version
from .codes import next_code
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import Dossier, DossierEvent, TaskRecord
from .projection import COMPLETED, OPEN, sync_tasks
from .serialization import dump_workflow
from .specs import CompiledProcedure
from .status import CHANNELS, STATUS_CODES
from .uow import UnitOfWork
from .workflows import advance, end_status, new_workflow, ready_user_task, restore_workflow


@dataclass(frozen=True)
class Submission:
    procedure: str
    applicant: dict[str, Any]
    data: dict[str, Any]
    channel: str
    submission_key: str | None = None


def submit(uow: UnitOfWork, actor: Actor, sub: Submission) -> Dossier:
    """Create a dossier on the procedure's current version and run it to its first human step."""
    session = uow.session
    if sub.submission_key:
        earlier = session.scalars(select(Dossier).where(
            Dossier.created_by == actor.user_id, Dossier.submission_key == sub.submission_key)).first()
        if earlier is not None:
            return earlier
    if sub.channel not in CHANNELS:
        raise ValidationFailed("unknown channel", {"channel": [f"Must be one of: {', '.join(CHANNELS)}."]})
    compiled = current_version(session, uow.cache, sub.procedure)
    data = _validate_form(compiled, compiled.start_form, sub.data)
    now = uow.clock()
    workflow = new_workflow(compiled, data)
    advance(workflow)
    dossier = Dossier(
        code=next_code(session, uow.code_prefix, now), procedure_code=compiled.code,
        procedure_version_id=compiled.version_id, status="received" if sub.channel == "counter" else
        "registered", channel=sub.channel, applicant_name=sub.applicant["name"], applicant=sub.applicant,
        data=data, unit_code=actor.unit_code, submission_key=sub.submission_key,
        state=dump_workflow(workflow), created_by=actor.user_id, created_at=now, updated_at=now,
    )
    _finish_if_completed(dossier, workflow, now)
    session.add(dossier)
    try:
        session.flush()
    except IntegrityError:  # the same submission key raced in from a second request
        session.rollback()
        raise Conflict("this submission is already being processed") from None
    sync_tasks(session, dossier, workflow, compiled, now, known_open=[])
    session.add(DossierEvent(dossier_id=dossier.id, at=now, actor_id=actor.user_id, kind="submitted",
                             detail={"channel": sub.channel, "version": compiled.version_id}))
    uow.commit()
    return dossier


@dataclass(frozen=True)
class Completion:
    task: TaskRecord
    dossier: Dossier
    next_tasks: list[TaskRecord]


def complete_task(uow: UnitOfWork, actor: Actor, task_id: str, data: Any) -> Completion:
    """Complete a human step with its form data; the workflow runs on to the next human step."""
    session = uow.session
    # One query brings the task, its dossier, and the dossier's other open tasks (for the projection).
    dossier_of_task = select(TaskRecord.dossier_id).where(TaskRecord.id == task_id).scalar_subquery()
    pairs = session.execute(select(TaskRecord, Dossier).join(Dossier, Dossier.id == TaskRecord.dossier_id).where(
        TaskRecord.dossier_id == dossier_of_task, or_(TaskRecord.state == OPEN, TaskRecord.id == task_id))).all()
    rows = [task for task, _ in pairs]
    row = next((r for r in rows if r.id == task_id), None)
    dossier = pairs[0][1] if pairs else None
    if row is None or dossier is None or not _may_see(actor, dossier):
        raise NotFound(f"task {task_id} does not exist")
    if not actor.has_role(row.role):
        raise Forbidden(f"task {task_id} belongs to the '{row.role}' role")
    if row.state != OPEN:
        raise Conflict(f"task {task_id} is already {row.state}", state=row.state)
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    cleaned = _validate_form(compiled, row.form_key, data)
    workflow = restore_workflow(compiled, dossier.state)
    task = ready_user_task(workflow, task_id)
    task.data.update(cleaned)
    task.run()
    advance(workflow)

    now = uow.clock()
    dossier.state = dump_workflow(workflow)
    dossier.updated_at = now
    if dossier.status in ("registered", "received"):
        dossier.status = "processing"
    _finish_if_completed(dossier, workflow, now)
    row.state, row.completed_at, row.completed_by = COMPLETED, now, actor.user_id
    created = sync_tasks(session, dossier, workflow, compiled, now, known_open=rows)
    session.add(DossierEvent(dossier_id=dossier.id, at=now, actor_id=actor.user_id, kind="task_completed",
                             task_id=task_id, step=row.name, detail={"bpmn_id": row.bpmn_id}))
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("the dossier was changed by someone else; reload and try again") from None
    return Completion(task=row, dossier=dossier, next_tasks=created)


def _validate_form(compiled: CompiledProcedure, form_key: str | None, data: Any) -> dict[str, Any]:
    if form_key is None:
        if data not in (None, {}):
            raise ValidationFailed("this step takes no data", {"data": ["This step has no form."]})
        return {}
    return compiled.forms[form_key].validate(data if data is not None else {})


def _finish_if_completed(dossier: Dossier, workflow: Any, now: Any) -> None:
    if workflow.is_completed():
        dossier.status = end_status(workflow) or "processed"
        dossier.finished_at = now


@dataclass(frozen=True)
class DossierView:
    dossier: Dossier
    open_tasks: list[TaskRecord]
    steps: list[TaskRecord]
    events: list[DossierEvent]

    @property
    def status_code(self) -> int:
        return STATUS_CODES[self.dossier.status]


def get_dossier(uow: UnitOfWork, actor: Actor, code: str) -> DossierView:
    """Read a dossier from its columns and the projection; the workflow is not deserialized."""
    session = uow.session
    dossier = session.scalars(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or not _may_see(actor, dossier):
        raise NotFound(f"dossier {code} does not exist")
    tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id)
                                 .order_by(TaskRecord.created_at, TaskRecord.id)))
    events = list(session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
                                  .order_by(DossierEvent.id)))
    return DossierView(dossier=dossier, open_tasks=[t for t in tasks if t.state == OPEN],
                       steps=[t for t in tasks if t.state == COMPLETED], events=events)


def _may_see(actor: Actor, dossier: Dossier) -> bool:
    # Unit scoping: an officer sees the dossiers of their own unit (units and hierarchy come with the
    # organisation model; an actor without a unit is a central account and sees all).
    return actor.unit_code is None or dossier.unit_code in (None, actor.unit_code)
