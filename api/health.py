"""`GET /healthz`, for load balancers and monitors: unauthenticated, fast, and never a 500. 200 when the database
answers and every scheduler job has succeeded recently; 503 (a problem, code `degraded`) when the database is
unreachable or a job is overdue. It names no host, process or error text.

It also shows each connector's status (`connectors`: ok, not-configured, unreachable, refused), checked at most
every 30 seconds; a far system that is down does not make this node unhealthy (the outbox retries), so it does not
change the status code."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
from flask import Flask, Response, current_app

from connectors.registry import CachedChecks
from engine.scheduling.heartbeats import JobHealth
from engine.scheduling.scheduler import job_health
from engine.time.clock import to_local

from .problems import problem

log = logging.getLogger(__name__)


def _jobs(found: list[JobHealth]) -> dict[str, Any]:
    return {j.job: {"last_success": (to_local(j.last_success_at).isoformat()  # type: ignore[union-attr]
                                     if j.last_success_at else None),
                    "interval_seconds": j.interval_seconds, "failures": j.failures, "overdue": j.overdue}
            for j in found}


_connectors = CachedChecks(ttl=30.0)


def _connector_status() -> dict[str, str]:
    return {name: health.status for name, health in _connectors().items()}


def health() -> Response:
    runtime = current_app.extensions["motcua"]
    try:
        with runtime.session_factory() as session:
            found = job_health(session, timedelta(seconds=runtime.settings.health_grace_seconds))
    except Exception as exc:  # whatever the database says, this answers
        log.warning("healthz: the database did not answer (%s)", type(exc).__name__)
        response = problem(503, "degraded", "Service degraded", "The database could not be reached.",
                           health="degraded", database="unreachable")
    else:
        jobs = _jobs(found)
        late = [j.job for j in found if j.overdue]
        if late:
            response = problem(503, "degraded", "Service degraded",
                               f"Scheduler jobs overdue: {', '.join(late)}.", health="degraded", database="ok",
                               jobs=jobs, connectors=_connector_status())
        else:
            response = Response(orjson.dumps({"status": "ok", "health": "ok", "database": "ok", "jobs": jobs,
                                              "connectors": _connector_status()}), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_health(app: Flask) -> None:
    app.add_url_rule("/healthz", "health", health, methods=["GET"])
