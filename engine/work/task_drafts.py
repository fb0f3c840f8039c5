"""A step's form saved half-filled, to come back to: kept on the task for whoever holds it, never checked as
complete (that happens when the step is completed, which clears it). The same column carries a delegate's
work that comes back to its owner (`dossiers.service`), so the holder always finds the latest work there."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from engine.dossiers.access import may_see_task, may_work_task
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.projection import OPEN, SUSPENDED
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

MAX_DRAFT_BYTES = 64 * 1024  # a step's form is a page of answers, not a file store


def save_draft(uow: UnitOfWork, actor: Actor, task_id: str, data: Any) -> TaskRecord:
    """The holder keeps the form as it stands. Only the form's own keys are kept, whatever their values; an
    empty form clears the draft."""
    session = uow.session
    task = session.get(TaskRecord, task_id)
    if task is None or not may_see_task(actor, task):
        raise NotFound(f"task {task_id} does not exist")
    if not may_work_task(actor, task):
        raise Forbidden(f"task {task_id} belongs to the '{task.role}' role")
    if task.state not in (OPEN, SUSPENDED):
        raise Conflict(f"task {task_id} is already {task.state}", state=task.state)
    if task.assignee_id != actor.user_id:
        raise Conflict("claim the task first" if task.assignee_id is None else "the task is assigned to someone else",
                       assignee_id=task.assignee_id)
    if not isinstance(data, dict):
        raise ValidationFailed("a draft is the form's fields", {"data": ["Not an object."]})
    if task.form_key is None:
        if data:
            raise ValidationFailed("this step takes no data", {"data": ["This step has no form."]})
    else:
        version_id = session.scalar(select(Dossier.procedure_version_id).where(Dossier.id == task.dossier_id))
        keys = set(uow.cache.get(session, version_id).forms[task.form_key].keys)
        unknown = sorted(k for k in data if k not in keys)
        if unknown:
            raise ValidationFailed("the draft has fields the step's form does not",
                                   {k: ["Unknown field."] for k in unknown[:20]})
    try:
        size = len(orjson.dumps(data))
    except TypeError:  # orjson's own error too: an integer beyond 64 bits cannot be stored as JSON here
        raise ValidationFailed("the draft cannot be stored", {"data": ["A value cannot be stored."]}) from None
    if size > MAX_DRAFT_BYTES:
        raise ValidationFailed("the draft is too large", {"data": [f"At most {MAX_DRAFT_BYTES // 1024} KB."]})
    now = uow.clock()
    before = task.draft_at
    if data:
        task.draft, task.draft_by, task.draft_at = data, actor.user_id, now
    else:
        task.draft = task.draft_by = task.draft_at = None
    uow.record(actor, "draft_saved" if data else "draft_cleared", "task", task.id, unit=task.unit_code,
               dossier_id=task.dossier_id, task_id=task.id, step=task.name,
               before={"draft_at": before.isoformat() if before else None},
               after={"draft_at": now.isoformat() if data else None}, detail={"fields": sorted(data)}, at=now)
    uow.commit()
    return task
