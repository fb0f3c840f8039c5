"""Incidents: steps the scheduler could not run (a timer's script failed or went over a bound), for the
leaders of the dossiers' units and for designers and reform officers, with a button to run the step again
once the procedure is fixed. The same engine functions as `GET /api/v1/incidents` and `.../retry`."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Conflict, ProcessError
from engine.scheduling.incidents import VIEWER_ROLES, list_incidents
from engine.scheduling.timers import retry_incident

from ...services import request_uow
from ..pages import back_to, page, page_actor

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
ROLES = tuple(sorted(VIEWER_ROLES))
STATES = ("open", "resolved", "all")


@bp.get("/")
@page(*ROLES)
def incidents() -> str:
    state = request.args.get("state", "open")
    state = state if state in STATES else "open"
    items = list_incidents(request_uow(), page_actor(), state)  # type: ignore[arg-type]
    return render_template("incidents/list.html", items=items, state=state, states=STATES)


@bp.post("/<int:incident_id>/retry")
@page(*ROLES)
def retry(incident_id: int) -> Response:
    try:
        view = retry_incident(request_uow(), page_actor(), incident_id)  # type: ignore[arg-type]
    except ProcessError as exc:  # the attempt is counted on the incident, which stays open
        flash(_("Bước vẫn không chạy được: %(detail)s", detail=exc.detail), "error")
    except Conflict as exc:
        flash(_("Chưa chạy lại được: %(detail)s", detail=exc.detail), "error")
    else:
        flash(_("Đã chạy lại bước; sự cố của hồ sơ %(code)s đã được xử lý.", code=view.dossier_code))
    return back_to(url_for("incidents.incidents"))
