"""The officer's inbox, served from the task projection alone: no join, no workflow deserialized.

Visible: the caller's own open tasks, tasks nobody has claimed in the units and roles the caller covers,
and, for leaders, every open task of their units (to see the load and reassign).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select

from .access import may_see_task, may_work_task
from .actors import Actor
from .errors import Forbidden, NotFound
from .models import Dossier, TaskRecord
from .projection import OPEN
from .text import fold
from .uow import UnitOfWork

VIEWS = ("all", "assigned", "claimable", "team")
SORTS = ("due", "priority", "age")


@dataclass(frozen=True)
class TaskQuery:
    view: str = "all"
    procedure: str | None = None
    dossier: str | None = None
    unit: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    q: str | None = None
    sort: str = "due"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskRecord]
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
    if query.q and fold(query.q):
        pattern = "%" + fold(query.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(TaskRecord.search_text.like(pattern, escape="\\"))
    due_first = TaskRecord.due_at.asc().nulls_last()  # the open-tasks-by-due index's own order
    order = {
        "due": (due_first, TaskRecord.created_at),
        "priority": (TaskRecord.priority.desc(), due_first),
        "age": (TaskRecord.created_at,),
    }[query.sort]
    total = uow.session.scalar(select(func.count()).select_from(TaskRecord).where(*conditions)) or 0
    items = list(uow.session.scalars(select(TaskRecord).where(*conditions).order_by(*order, TaskRecord.id)
                                     .limit(query.limit).offset(query.offset)))
    return TaskPage(items=items, total=total)


@dataclass(frozen=True)
class TaskDetail:
    task: TaskRecord
    form: dict[str, Any] | None


def get_task(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskDetail:
    task = uow.session.get(TaskRecord, task_id)
    if task is None or not may_see_task(actor, task):
        raise NotFound(f"task {task_id} does not exist")
    if not may_work_task(actor, task) and not actor.has_role("leader", task.unit_code):
        raise Forbidden(f"task {task_id} belongs to the '{task.role}' role")
    form = None
    if task.form_key:
        version_id = uow.session.scalar(select(Dossier.procedure_version_id).where(Dossier.id == task.dossier_id))
        form = uow.cache.get(uow.session, version_id).forms[task.form_key].schema_json
    return TaskDetail(task=task, form=form)
