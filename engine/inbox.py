"""Task lists, served from the projection only: no workflow is deserialized to answer them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from .access import may_see_task
from .actors import Actor
from .errors import Forbidden, NotFound
from .models import Dossier, TaskRecord
from .projection import OPEN
from .uow import UnitOfWork


@dataclass(frozen=True)
class TaskQuery:
    procedure: str | None = None
    dossier: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class TaskItem:
    task: TaskRecord
    dossier_code: str
    procedure_code: str
    applicant_name: str


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskItem]
    total: int


def list_tasks(uow: UnitOfWork, actor: Actor, query: TaskQuery) -> TaskPage:
    conditions: list[Any] = [TaskRecord.state == OPEN, TaskRecord.role.in_(sorted(actor.roles))]
    if actor.unit_code is not None:
        conditions.append(or_(TaskRecord.unit_code == actor.unit_code, TaskRecord.unit_code.is_(None)))
    if query.procedure:
        conditions.append(Dossier.procedure_code == query.procedure)
    if query.dossier:
        conditions.append(Dossier.code == query.dossier)
    base = select(TaskRecord, Dossier.code, Dossier.procedure_code, Dossier.applicant_name).join(
        Dossier, Dossier.id == TaskRecord.dossier_id).where(*conditions)
    total = uow.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = uow.session.execute(base.order_by(TaskRecord.created_at, TaskRecord.id)
                               .limit(query.limit).offset(query.offset)).all()
    return TaskPage(items=[TaskItem(*row) for row in rows], total=total)


@dataclass(frozen=True)
class TaskDetail:
    item: TaskItem
    form: dict[str, Any] | None


def get_task(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskDetail:
    row = uow.session.execute(
        select(TaskRecord, Dossier.code, Dossier.procedure_code, Dossier.applicant_name,
               Dossier.procedure_version_id)
        .join(Dossier, Dossier.id == TaskRecord.dossier_id).where(TaskRecord.id == task_id)).first()
    if row is None or not may_see_task(actor, row[0]):
        raise NotFound(f"task {task_id} does not exist")
    task: TaskRecord = row[0]
    if not actor.has_role(task.role):
        raise Forbidden(f"task {task_id} belongs to the '{task.role}' role")
    form = None
    if task.form_key:
        compiled = uow.cache.get(uow.session, row.procedure_version_id)
        form = compiled.forms[task.form_key].schema_json
    return TaskDetail(item=TaskItem(task, row.code, row.procedure_code, row.applicant_name), form=form)
