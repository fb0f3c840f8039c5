"""The officer's inbox, served from the task projection alone: no join, no workflow deserialized.

Visible: the caller's own open tasks, tasks nobody has claimed in the units and roles the caller covers,
and, for leaders, every open task of their units (to see the load and reassign).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select

from engine.dossiers.access import may_see_task, may_work_task
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.projection import OPEN
from engine.errors import Forbidden, NotFound
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork
from engine.text import fold

from .counts import open_tasks

VIEWS = ("all", "assigned", "claimable", "team")
SORTS = ("due", "priority", "age")
DUE_STATES = ("ok", "warning", "overdue")


@dataclass(frozen=True)
class TaskQuery:
    view: str = "all"
    procedure: str | None = None
    dossier: str | None = None
    unit: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    q: str | None = None
    due: str | None = None  # one of DUE_STATES
    sort: str = "due"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class TaskPage:
    items: list[Any]  # rows with TaskRecord's attributes (read-only)
    total: int


def _in_roles(actor: Actor, roles: dict[str, frozenset[str]] | None = None) -> Any:
    scope = roles if roles is not None else actor.scope
    clauses = [and_(TaskRecord.role == role, TaskRecord.unit_code.in_(sorted(units)))
               for role, units in scope.items() if units]
    return or_(*clauses) if clauses else false()


def _visible(actor: Actor, view: str) -> Any:
    mine = TaskRecord.assignee_id == actor.user_id
    claimable = and_(TaskRecord.assignee_id.is_(None), _in_roles(actor))
    leader_units = actor.scope.get("leader", frozenset())
    team = TaskRecord.unit_code.in_(sorted(leader_units)) if leader_units else false()
    return {"assigned": mine, "claimable": claimable, "team": team,
            "all": or_(mine, claimable, team)}[view]


def _due_condition(state: str, now: datetime) -> Any:
    overdue = TaskRecord.due_at < now
    # Warned: the sweep reached level 1, or its time has come though no sweep ran yet.
    warned = and_(or_(TaskRecord.due_at >= now, TaskRecord.due_at.is_(None)),
                  or_(TaskRecord.escalation_level >= 1, TaskRecord.next_escalation_at <= now))
    return {"overdue": overdue, "warning": warned,
            "ok": and_(or_(TaskRecord.due_at >= now, TaskRecord.due_at.is_(None)),
                       TaskRecord.escalation_level < 1,
                       or_(TaskRecord.next_escalation_at > now, TaskRecord.next_escalation_at.is_(None)))}[state]


def due_state(task: TaskRecord, now: datetime) -> str:
    """ok, warning (the step's warning time has passed) or overdue; the same rule as the `due` filter."""
    if task.due_at is not None and task.due_at < now:
        return "overdue"
    if task.escalation_level >= 1 or (task.next_escalation_at is not None and task.next_escalation_at <= now):
        return "warning"
    return "ok"


def list_tasks(uow: UnitOfWork, actor: Actor, query: TaskQuery) -> TaskPage:
    now = uow.clock()
    conditions: list[Any] = [TaskRecord.state == OPEN, _visible(actor, query.view)]
    if query.procedure:
        conditions.append(TaskRecord.procedure_code == query.procedure)
    if query.dossier:
        conditions.append(TaskRecord.dossier_code == query.dossier)
    if query.unit:
        conditions.append(TaskRecord.unit_code == query.unit)
    if query.due_before:
        conditions.append(TaskRecord.due_at < query.due_before)
    if query.overdue is not None:
        conditions.append(TaskRecord.due_at < now if query.overdue else
                          or_(TaskRecord.due_at >= now, TaskRecord.due_at.is_(None)))
    if query.due in DUE_STATES:
        conditions.append(_due_condition(query.due, now))
    if query.q and fold(query.q):
        pattern = "%" + fold(query.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(TaskRecord.search_text.like(pattern, escape="\\"))
    due_first = TaskRecord.due_at.asc().nulls_last()  # the open-tasks-by-due index's own order
    order = {
        "due": (due_first, TaskRecord.created_at),
        "priority": (TaskRecord.priority.desc(), due_first),
        "age": (TaskRecord.created_at,),
    }[query.sort]
    total = _kept_total(uow, actor, query)
    if total is None:
        total = uow.session.scalar(select(func.count()).select_from(TaskRecord).where(*conditions)) or 0
    # rows of columns, read-only, named as TaskRecord's attributes: the ORM's bookkeeping per object cost more
    # than the query on a page of fifty
    items = list(uow.session.connection().execute(
        select(*_TASK_COLUMNS).where(*conditions).order_by(*order, TaskRecord.id)
        .limit(query.limit).offset(query.offset)))
    return TaskPage(items=items, total=total)


_TASK_COLUMNS = tuple(TaskRecord.__table__.c)


def _kept_total(uow: UnitOfWork, actor: Actor, query: TaskQuery) -> int | None:
    """The total of an unfiltered leader's view from the counts the database keeps per unit and role, instead
    of counting every open task of a province (`engine.work.counts`); None when the view is filtered."""
    filtered = (query.procedure or query.dossier or query.unit or query.due_before or query.overdue is not None
                or query.due in DUE_STATES or (query.q and fold(query.q)))
    leader_units = actor.scope.get("leader", frozenset())
    if filtered or not leader_units:
        return None
    if query.view == "team":
        return open_tasks(uow.session, leader_units)
    if query.view == "all" and actor.units <= leader_units:
        # everything claimable lies in the leader's units; only the leader's own tasks can lie outside them
        own_elsewhere = uow.session.scalar(select(func.count()).select_from(TaskRecord).where(
            TaskRecord.state == OPEN, TaskRecord.assignee_id == actor.user_id,
            or_(TaskRecord.unit_code.not_in(sorted(leader_units)), TaskRecord.unit_code.is_(None)))) or 0
        return open_tasks(uow.session, leader_units) + own_elsewhere
    return None


def waiting_dossiers(uow: UnitOfWork, actor: Actor, limit: int = 20) -> tuple[list[Dossier], int]:
    """Dossiers submitted online or by post that wait for a reception officer of the actor's units to receive
    them, oldest first, and how many there are."""
    units = sorted(actor.scope.get("reception", frozenset()))
    if not units:
        return [], 0
    conditions = [Dossier.status == "registered",
                  or_(Dossier.reception_unit.in_(units), Dossier.competent_unit.in_(units))]
    total = uow.session.scalar(select(func.count()).select_from(Dossier).where(*conditions)) or 0
    items = list(uow.session.scalars(select(Dossier).where(*conditions).order_by(Dossier.created_at, Dossier.id)
                                     .limit(limit)))
    return items, total


@dataclass(frozen=True)
class TaskDetail:
    task: TaskRecord
    form: dict[str, Any] | None
    instructions: str | None = None  # the step's instructionsForEndUser, from the dossier's version


def get_task(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskDetail:
    task = uow.session.get(TaskRecord, task_id)
    if task is None or not may_see_task(actor, task):
        raise NotFound(f"task {task_id} does not exist")
    if not may_work_task(actor, task) and not actor.has_role("leader", task.unit_code):
        raise Forbidden(f"task {task_id} belongs to the '{task.role}' role")
    version_id = uow.session.scalar(select(Dossier.procedure_version_id).where(Dossier.id == task.dossier_id))
    compiled = uow.cache.get(uow.session, version_id)
    form = compiled.forms[task.form_key].schema_json if task.form_key else None
    specs = [compiled.spec, *compiled.subprocess_specs.values()]
    spec = next((s.task_specs[task.bpmn_id] for s in specs if task.bpmn_id in s.task_specs), None)
    instructions = (getattr(spec, "extensions", None) or {}).get("instructionsForEndUser") if spec else None
    return TaskDetail(task=task, form=form, instructions=instructions or None)
