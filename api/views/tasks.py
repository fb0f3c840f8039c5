from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from engine.dossiers import complete_task
from engine.inbox import TaskItem, TaskQuery, get_task, list_tasks

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("tasks", __name__)


def _flat(item: TaskItem) -> dict[str, Any]:
    task = item.task
    return {**{k: getattr(task, k) for k in schemas.TaskOut().fields if hasattr(task, k)},
            "dossier_code": item.dossier_code, "procedure_code": item.procedure_code,
            "applicant_name": item.applicant_name}


@bp.get("/tasks")
@login_required()
@operation("Open tasks the caller's roles may work on, oldest first", tag="tasks",
           query=schemas.TaskQueryIn(), responses={200: schemas.TaskPageOut()})
def list_open_tasks():  # type: ignore[no-untyped-def]
    page = list_tasks(request_uow(), current_actor(), TaskQuery(**g.query))
    return respond(schemas.TaskPageOut(), {"items": [_flat(i) for i in page.items], "total": page.total,
                                           "limit": g.query["limit"], "offset": g.query["offset"]})


@bp.get("/tasks/<task_id>")
@login_required()
@operation("A task with the form it must be completed with", tag="tasks",
           responses={200: schemas.TaskDetailOut(), 403: "not your role", 404: "unknown task"})
def read_task(task_id: str):  # type: ignore[no-untyped-def]
    detail = get_task(request_uow(), current_actor(), task_id)
    return respond(schemas.TaskDetailOut(), {**_flat(detail.item), "form": detail.form})


@bp.post("/tasks/<task_id>/complete")
@login_required()
@operation("Complete a task with its form data; the dossier runs on to its next human step", tag="tasks",
           body=schemas.TaskComplete(),
           responses={200: schemas.TaskCompleted(), 403: "not your role", 404: "unknown task",
                      409: "already completed or lost a race", 422: "invalid form data or process error"})
def complete(task_id: str):  # type: ignore[no-untyped-def]
    done = complete_task(request_uow(), current_actor(), task_id, g.body["data"])
    return respond(schemas.TaskCompleted(), {
        "id": done.task.id, "state": done.task.state, "dossier": done.dossier.code,
        "dossier_status": done.dossier.status, "next_tasks": done.next_tasks})
