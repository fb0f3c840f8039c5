from __future__ import annotations

from flask import Blueprint, Response, request

from engine.scheduling.escalation import open_escalations
from engine.scheduling.notifications import mark_read, my_notifications
from engine.scheduling.scheduler import metrics

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("scheduling", __name__)


@bp.get("/notifications")
@login_required()
@operation("The caller's in-app notifications, newest first (?unread=true)", tag="notifications",
           responses={200: schemas.NotificationList()})
def notifications():  # type: ignore[no-untyped-def]
    unread = request.args.get("unread") == "true"
    items = my_notifications(request_uow().session, current_actor(), unread, 200)
    return respond(schemas.NotificationList, {"items": items})


@bp.post("/notifications/<int:message_id>/read")
@login_required()
@operation("Mark a notification read", tag="notifications", responses={204: "read", 404: "not yours"})
def read(message_id: int):  # type: ignore[no-untyped-def]
    uow = request_uow()
    mark_read(uow.session, current_actor(), message_id, uow.clock())
    uow.session.commit()  # a read mark is not a state change of any dossier: not audited
    return Response(status=204)


@bp.get("/escalations")
@login_required("leader", "admin")
@operation("Open warnings, escalations and apology drafts of the caller's units (?unit=, ?kind=)",
           tag="notifications", responses={200: schemas.EscalationList()})
def escalations():  # type: ignore[no-untyped-def]
    actor = current_actor()
    views = open_escalations(request_uow(), actor.officer_units, request.args.get("unit"), request.args.get("kind"))
    items = [{**{k: getattr(v.escalation, k) for k in ("id", "kind", "task_id", "unit_code", "due_at", "fired_at",
                                                        "scheduled_at", "proposed_due_at")},
              "dossier": v.dossier_code, "step": v.step} for v in views]
    return respond(schemas.EscalationList, {"items": items})


@bp.get("/scheduler/metrics")
@login_required("admin", "leader")
@operation("Scheduler figures per job: runs that did work, items handled, lag between due and fired",
           tag="notifications", responses={200: schemas.JobMetricsList()})
def scheduler_metrics():  # type: ignore[no-untyped-def]
    return respond(schemas.JobMetricsList, {"items": metrics(request_uow())})
