"""Reform without code: drafts, publishing, what-if replay, and moving running dossiers to a new version.

A draft is stored like any version (compiled, content-hashed) but new dossiers never use it. Publishing
runs the validation and makes the draft current; published versions never change. Moving a running dossier
uses SpiffWorkflow's workflow diff: it moves only when no task it has started or completed disappears in
the new version, and keeps its clocks, step rows and assignments (the ready steps keep their ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .actions import OPEN_STATUSES, PAUSED_STATUSES
from .actors import Actor
from .catalog import register_package
from .dossiers import save_workflow
from .errors import Conflict, Forbidden, InvalidPackage, NotFound, Problem
from .models import Dossier, Procedure, ProcedureVersion, TaskRecord
from .organisation import known_roles
from .packages import ProcedurePackage
from .projection import OPEN, SUSPENDED, sync_tasks
from .serialization import STATE_REGISTRY
from .specs import CompiledProcedure
from .uow import UnitOfWork
from .validation import Finding, has_errors, validate_package
from .workflows import advance, restore_workflow
from .working_time import parse_budget

REFORM_ROLES = frozenset({"designer", "reform_officer", "admin"})
NOT_STARTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


def _reformer(actor: Actor) -> None:
    if not actor.roles & REFORM_ROLES:
        raise Forbidden("this needs the designer, reform officer or administrator role")


def _version(uow: UnitOfWork, code: str, number: int) -> ProcedureVersion:
    row = uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code,
                                                             ProcedureVersion.number == number)).first()
    if row is None:
        raise NotFound(f"procedure {code} has no version {number}")
    return row


def package_of(row: ProcedureVersion) -> ProcedurePackage:
    return ProcedurePackage(row.procedure_code, {k: v.encode("utf-8") for k, v in row.files.items()}, row.forms)


def version_package(uow: UnitOfWork, code: str, number: int) -> dict[str, Any]:
    """A version's files and forms, as stored: what the designer opens to edit into a new draft, and what the
    officer's page draws the diagram from. Not secret, so any signed-in user may read it."""
    row = _version(uow, code, number)
    return {"code": row.procedure_code, "number": row.number, "status": row.status,
            "process_id": row.process_id, "files": dict(row.files), "forms": dict(row.forms)}


def save_draft(uow: UnitOfWork, actor: Actor, package: ProcedurePackage, note: str = ""
               ) -> tuple[ProcedureVersion, list[Finding]]:
    """Store a package as a draft (or find the version that already has this content)."""
    _reformer(actor)
    if uow.session.get(Procedure, package.code) is None:
        raise NotFound(f"procedure '{package.code}' does not exist")
    findings = validate_package(package, known_roles(uow.session))
    version, created = register_package(uow.session, uow.cache, package, make_current=False)
    if created:
        version.note = note
        uow.record(actor, "draft_saved", "procedure", package.code, after={"version": version.number},
                   detail={"note": note, "content_hash": version.content_hash,
                           "errors": sum(f.severity == "error" for f in findings)})
    uow.commit()
    return version, findings


def publish(uow: UnitOfWork, actor: Actor, code: str, number: int, note: str) -> ProcedureVersion:
    _reformer(actor)
    version = _version(uow, code, number)
    if version.status != "draft":
        raise Conflict(f"version {number} is already {version.status}")
    findings = validate_package(package_of(version), known_roles(uow.session))
    if has_errors(findings):
        raise InvalidPackage([Problem(f.code, f.message_en, file=f.file, element=f.element)
                              for f in findings if f.severity == "error"])
    procedure = uow.session.get(Procedure, code)
    assert procedure is not None
    before = procedure.current_version_id
    now = uow.clock()
    version.status, version.published_at, version.published_by = "published", now, actor.user_id
    version.note = note or version.note
    procedure.current_version_id = version.id
    procedure.name_vi, procedure.name_en = version.meta["name"]["vi"], version.meta["name"]["en"]
    uow.record(actor, "version_published", "procedure", code, before={"current_version_id": before},
               after={"current_version_id": version.id, "version": number}, detail={"note": note})
    uow.commit()
    return version


def versions(uow: UnitOfWork, code: str) -> list[ProcedureVersion]:
    return list(uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
                                    .order_by(ProcedureVersion.number)))


# --- what-if --------------------------------------------------------------------------------------------
@dataclass
class Figures:
    dossiers: int = 0
    on_time: int = 0
    hours: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"dossiers": self.dossiers, "on_time_rate": round(100 * self.on_time / self.dossiers, 2)
                if self.dossiers else None,
                "average_working_hours": round(self.hours / self.dossiers, 2) if self.dossiers else None}


def what_if(uow: UnitOfWork, actor: Actor, code: str, number: int, months: int = 6) -> dict[str, Any]:
    """Replay the finished dossiers of the last `months` against a version: a removed step removes its
    recorded time, and the version's legal time decides on-time; beside the actual figures."""
    _reformer(actor)
    session, calendar, now = uow.session, uow.calendar, uow.clock()
    target = uow.cache.get(session, _version(uow, code, number).id)
    since = now - timedelta(days=31 * months)
    dossiers = list(session.scalars(select(Dossier).where(
        Dossier.procedure_code == code, Dossier.processed_at.is_not(None), Dossier.processed_at >= since,
        Dossier.received_at.is_not(None))))
    steps: dict[int, list[TaskRecord]] = {}
    for task in session.scalars(select(TaskRecord).where(TaskRecord.dossier_id.in_([d.id for d in dossiers]),
                                                         TaskRecord.completed_at.is_not(None))):
        steps.setdefault(task.dossier_id, []).append(task)
    legal = target.meta["legal_time"]
    legal_hours = legal["value"] * (8 if legal["unit"] == "working_days" else 1)
    actual, estimate = Figures(), Figures()
    removed: dict[str, float] = {}
    step_figures: dict[str, dict[str, int]] = {}  # per kept step: how many were (and would be) on time
    for dossier in dossiers:
        taken = calendar.working_time_between(dossier.received_at, dossier.processed_at).total_seconds() / 3600
        taken -= dossier.paused_seconds / 3600
        saved = 0.0
        for task in steps.get(dossier.id, []):
            hours = calendar.working_time_between(task.created_at, task.completed_at).total_seconds() / 3600
            if task.bpmn_id not in target.steps:
                saved += hours
                removed[task.bpmn_id] = removed.get(task.bpmn_id, 0.0) + hours
                continue
            budget = target.steps[task.bpmn_id].time_budget
            figures = step_figures.setdefault(task.bpmn_id, {"steps": 0, "on_time": 0, "on_time_with_version": 0})
            figures["steps"] += 1
            figures["on_time"] += bool(task.on_time)
            if budget:  # the version's budget decides (a shortened budget turns slow steps late)
                figures["on_time_with_version"] += hours <= parse_budget(budget, calendar.hours.day_length
                                                                         ).total_seconds() / 3600
        actual.dossiers += 1
        actual.hours += taken
        actual.on_time += dossier.processed_at <= dossier.due_at if dossier.due_at else 0
        estimate.dossiers += 1
        estimate.hours += taken - saved
        estimate.on_time += (taken - saved) <= legal_hours
    return {"version": number, "months": months, "legal_working_hours": legal_hours,
            "actual": actual.as_dict(), "estimate": estimate.as_dict(),
            "removed_steps": {k: round(v, 2) for k, v in removed.items()}, "steps": step_figures,
            "step_budgets": {s.bpmn_id: s.time_budget for s in target.steps.values()}}


# --- moving running dossiers -----------------------------------------------------------------------------
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
    _reformer(actor)
    session = uow.session
    target_row = _version(uow, code, to_number)
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
        workflow = restore_workflow(source, dossier.state)
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
