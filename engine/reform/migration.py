"""Moving running dossiers to another version with SpiffWorkflow's workflow diff: a dossier moves only when no
task it has started or completed disappears in the new version, and keeps its clocks, step rows and
assignments (the ready steps keep their ids). A dry run only reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.dossiers.actions import OPEN_STATUSES, PAUSED_STATUSES
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.projection import OPEN, SUSPENDED, sync_tasks
from engine.dossiers.service import save_workflow
from engine.dossiers.workflows import advance, restore_workflow
from engine.errors import Conflict
from engine.people.actors import Actor
from engine.procedures.serialization import STATE_REGISTRY
from engine.procedures.specs import CompiledProcedure
from engine.store.uow import UnitOfWork

from .drafts import require_reformer, version_row

NOT_STARTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


@dataclass
class MigrationReport:
    to_version: int
    dry_run: bool
    movable: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)


def _check(workflow: Any, target: CompiledProcedure) -> tuple[Any, dict[str, Any] | None]:
    """Why a dossier cannot move, with a code and the steps, so that pages can say it in their language."""
    top, subs = diff_workflow(STATE_REGISTRY, workflow, target.spec, target.subprocess_specs)
    started = sorted({t.task_spec.name for t in top.removed if not t.has_state(NOT_STARTED)})
    if started:
        return top, {"code": "steps-gone", "steps": started,
                     "reason": f"steps started or done here are gone in the new version: {', '.join(started)}"}
    if any(d is None for d in subs.values()):
        return top, {"code": "subprocess-gone", "steps": [],
                     "reason": "a subprocess it runs is gone in the new version"}
    return top, None


def migrate(uow: UnitOfWork, actor: Actor, code: str, to_number: int, dossier_codes: list[str] | None = None,
            dry_run: bool = True) -> MigrationReport:
    """Move running dossiers (all, or the listed ones) to another version; a dry run only reports."""
    require_reformer(actor)
    session = uow.session
    target_row = version_row(uow, code, to_number)
    if target_row.status != "published":
        raise Conflict("running dossiers move only to a published version")
    target = uow.cache.get(session, target_row.id)
    query = select(Dossier).where(Dossier.procedure_code == code, Dossier.finished_at.is_(None),
                                  Dossier.state.is_not(None), Dossier.procedure_version_id != target_row.id,
                                  Dossier.status.in_(sorted(OPEN_STATUSES | PAUSED_STATUSES)))
    if dossier_codes:
        query = query.where(Dossier.code.in_(dossier_codes))
    report = MigrationReport(to_number, dry_run)
    now = uow.clock()
    for dossier in session.scalars(query.order_by(Dossier.id)).all():
        source = uow.cache.get(session, dossier.procedure_version_id)
        workflow = restore_workflow(source, dossier.state, uow.scripts)
        top, blocked = _check(workflow, target)
        if blocked:
            report.blocked.append({"dossier": dossier.code, **blocked})
            continue
        report.movable.append(dossier.code)
        if dry_run:
            continue
        _move(uow, actor, dossier, workflow, top, source, target, now)
        report.moved.append(dossier.code)
    if not dry_run:
        uow.commit()
    return report


def _move(uow: UnitOfWork, actor: Actor, dossier: Dossier, workflow: Any, top: Any, source: CompiledProcedure,
          target: CompiledProcedure, now: datetime) -> None:
    migrate_workflow(top, workflow, target.spec)
    workflow.spec = target.spec
    advance(workflow)
    known = list(uow.session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                              TaskRecord.state.in_((OPEN, SUSPENDED)))))
    paused = {t.id for t in known if t.state == SUSPENDED}
    before = dossier.procedure_version_id
    dossier.procedure_version_id = target.version_id
    save_workflow(dossier, workflow, uow.calendar, now, target.has_timers)
    for task in known:  # ready steps keep their ids: keep them open (or suspended) with their clocks
        if task.state == SUSPENDED:
            task.state = OPEN
    sync_tasks(uow.session, dossier, workflow, target, now, uow.calendar, known_open=known)
    for task in known:
        if task.id in paused and task.state == OPEN:
            task.state = SUSPENDED
    uow.record(actor, "migrated", "dossier", dossier.code, dossier_id=dossier.id,
               before={"version": source.version_number, "version_id": before},
               after={"version": target.version_number, "version_id": target.version_id})
