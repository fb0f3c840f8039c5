from __future__ import annotations

from flask import Blueprint, g

from engine.dossiers.service import complete_task
from engine.work.assignment import assign, candidates, claim, delegate, set_priority, unclaim
from engine.work.inbox import TaskQuery, get_task, list_tasks
from engine.work.task_drafts import save_draft

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..results import render_approved_result
from ..services import request_uow

bp = Blueprint("tasks", __name__)


@bp.get("/tasks")
@login_required()
@operation("The caller's inbox: own tasks, unclaimed tasks of their units and roles, and (for leaders) the "
           "unit's tasks; filters, search without diacritics, sorting by due time, priority or age, paging "
           "with a total.", tag="tasks", query=schemas.TaskQueryIn(), responses={200: schemas.TaskPageOut()})
def list_open_tasks():  # type: ignore[no-untyped-def]
    uow = request_uow()
    page = list_tasks(uow, current_actor(), TaskQuery(**g.query))
    now = uow.clock()
    items = [{**{k: getattr(t, k) for k in _TASK_FIELDS}, "overdue": t.due_at is not None and t.due_at < now}
             for t in page.items]
    return respond(schemas.TaskPageOut, {"items": items, "total": page.total,
                                           "limit": g.query["limit"], "offset": g.query["offset"]})


_TASK_FIELDS = [f.attribute or name for name, f in schemas.TaskOut().fields.items() if name != "overdue"]


@bp.get("/tasks/<task_id>")
@login_required()
@operation("A task with the form it must be completed with", tag="tasks",
           responses={200: schemas.TaskDetailOut(), 403: "not your role", 404: "unknown task"})
def read_task(task_id: str):  # type: ignore[no-untyped-def]
    detail = get_task(request_uow(), current_actor(), task_id)
    body = {k: getattr(detail.task, k) for k in schemas.TaskOut().fields if hasattr(detail.task, k)}
    body.update(dossier_code=detail.task.dossier_code, procedure_code=detail.task.procedure_code,
                unit_code=detail.task.unit_code, form=detail.form)
    return respond(schemas.TaskDetailOut, body)


@bp.post("/tasks/<task_id>/complete")
@login_required()
@operation("Complete a task you hold (claim it first) with its form data; the dossier runs on to its next "
           "step. A delegate's work on a step marked `returnToOwner` goes back to the owner instead.",
           tag="tasks", body=schemas.TaskComplete(),
           responses={200: schemas.TaskCompleted(), 403: "not your role", 404: "unknown task",
                      409: "not claimed by you, already completed, paused, or lost a race",
                      422: "invalid form data or process error"})
def complete(task_id: str):  # type: ignore[no-untyped-def]
    done = complete_task(request_uow(), current_actor(), task_id, g.body["data"])
    answer = respond(schemas.TaskCompleted, {
        "id": done.task.id, "state": done.task.state, "dossier": done.dossier.code,
        "dossier_status": done.dossier.status, "next_tasks": done.next_tasks})
    render_approved_result(done.dossier.code)
    return answer


@bp.put("/tasks/<task_id>/draft")
@login_required()
@operation("Save the step's form as it stands, half-filled, to come back to: kept on the task for whoever holds "
           "it (claim it first), checked only for the form's own keys, cleared when the step is completed; "
           "`{}` clears it. A delegate's work on a `returnToOwner` step comes back in the same place.",
           tag="tasks", body=schemas.TaskDraftIn(),
           responses={200: schemas.TaskOut(), 403: "not your role", 404: "unknown task",
                      409: "not claimed by you, or already completed", 422: "a key the form does not have"})
def save_task_draft(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, save_draft(request_uow(), current_actor(), task_id, g.body["data"]))


@bp.post("/tasks/<task_id>/claim")
@login_required()
@operation("Take an unclaimed task of your unit and role", tag="tasks",
           responses={200: schemas.TaskOut(), 403: "not your role", 409: "already claimed"})
def claim_task(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, claim(request_uow(), current_actor(), task_id))


@bp.post("/tasks/<task_id>/unclaim")
@login_required()
@operation("Give a task back to the unit's queue (its assignee, or a leader)", tag="tasks",
           responses={200: schemas.TaskOut(), 403: "not yours"})
def unclaim_task(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, unclaim(request_uow(), current_actor(), task_id))


@bp.post("/tasks/<task_id>/assign")
@login_required("leader")
@operation("A leader of the task's unit assigns it to an officer holding its role", tag="tasks",
           body=schemas.UserRef(), responses={200: schemas.TaskOut(), 403: "not a leader of the unit",
                                              422: "that officer cannot work this task"})
def assign_task(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, assign(request_uow(), current_actor(), task_id, g.body["user_id"]))


@bp.post("/tasks/<task_id>/delegate")
@login_required()
@operation("The assignee hands the task to a colleague with the role, staying its owner", tag="tasks",
           body=schemas.UserRef(), responses={200: schemas.TaskOut(), 409: "not your task",
                                              422: "that officer cannot work this task"})
def delegate_task(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, delegate(request_uow(), current_actor(), task_id, g.body["user_id"]))


@bp.post("/tasks/<task_id>/priority")
@login_required("leader")
@operation("A leader of the unit sets the task's priority on the named scale: normal, urgent (khẩn) or "
           "most_urgent (thượng khẩn); sorting by priority puts the most urgent first", tag="tasks",
           body=schemas.PriorityIn(), responses={200: schemas.TaskOut(), 403: "not a leader of the unit",
                                                 422: "not a priority of the scale"})
def prioritise(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.TaskOut, set_priority(request_uow(), current_actor(), task_id, g.body["priority"]))


@bp.get("/tasks/<task_id>/candidates")
@login_required("leader")
@operation("Officers who may take the task, with their open and overdue task counts", tag="tasks",
           responses={200: schemas.CandidateList(), 403: "not a leader of the unit"})
def task_candidates(task_id: str):  # type: ignore[no-untyped-def]
    return respond(schemas.CandidateList, {"items": candidates(request_uow(), current_actor(), task_id)})
