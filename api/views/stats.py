from __future__ import annotations

from flask import Blueprint, g

from engine.reporting.stats import StatsQuery, compute

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("stats", __name__)


@bp.get("/stats")
@login_required("leader", "admin", "reform_officer")
@operation("The figures provinces are judged on, for a period, by unit, procedure or month: received, "
           "online rate, processed early / on time / late (paused time excluded), open within time / "
           "overdue, online payment rate, supplement requests, ratings and satisfaction.", tag="stats",
           query=schemas.StatsQueryIn(), responses={200: schemas.StatsOut()})
def stats():  # type: ignore[no-untyped-def]
    q = g.query
    groups = compute(request_uow(), current_actor(), StatsQuery(
        start=q["start"], end=q["end"], group_by=q["group_by"], unit=q.get("unit"), procedure=q.get("procedure")))
    return respond(schemas.StatsOut, {"start": q["start"], "end": q["end"], "group_by": q["group_by"],
                                        "groups": groups})
