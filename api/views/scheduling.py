from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from engine.scheduling.escalation import open_escalations
from engine.scheduling.incidents import IncidentView, list_incidents
from engine.scheduling.notifications import mark_read, my_notifications
from engine.scheduling.scheduler import metrics
from engine.scheduling.timers import retry_incident

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


def incident_out(view: IncidentView) -> dict[str, Any]:
    i = view.incident
    return {"id": i.id, "dossier": view.dossier_code, "dossier_status": view.dossier_status,
            "procedure": i.procedure_code, "kind": i.kind, "element": i.element_id, "element_name": i.element_name,
            "reason": i.reason, "message": view.message, "opened_at": i.opened_at, "last_attempt_at": i.last_attempt_at,
            "attempts": i.attempts, "resolved_at": i.resolved_at, "resolved_by": i.resolved_by}


@bp.get("/incidents")
@login_required("leader", "designer", "reform_officer", "admin")
@operation("Steps the scheduler could not run (a timer's script failed or went over a bound); leaders see "
           "their units' dossiers, designers and reform officers every procedure's (?state=open|resolved|all, "
           "?procedure=, ?dossier=)", tag="notifications", query=schemas.IncidentQuery(),
           responses={200: schemas.IncidentList(), 403: "not a leader, designer or reform officer",
                      422: "a bad filter"})
def incidents():  # type: ignore[no-untyped-def]
    q = g.query
    views = list_incidents(request_uow(), current_actor(), q["state"], q.get("procedure"), q.get("dossier"))
    return respond(schemas.IncidentList, {"items": [incident_out(v) for v in views]})


@bp.post("/incidents/<int:incident_id>/retry")
@login_required("leader", "designer", "reform_officer", "admin")
@operation("Run a failed step again, once the procedure is fixed (e.g. the dossier migrated to a corrected "
           "version): resolved when it succeeds; a 422 process-error when it fails again (the incident stays "
           "open)", tag="notifications",
           responses={200: schemas.IncidentOut(), 403: "not a leader, designer or reform officer",
                      404: "unknown or not yours", 409: "already resolved, or the dossier is paused",
                      422: "the step failed again"})
def retry(incident_id: int):  # type: ignore[no-untyped-def]
    view = retry_incident(request_uow(), current_actor(), incident_id)
    return respond(schemas.IncidentOut, incident_out(view))
