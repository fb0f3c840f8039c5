"""Firing BPMN timers on time: the dossiers row keeps each workflow's earliest waiting timer
(`next_timer_at`, written whenever the workflow is saved), so the scheduler loads exactly the workflows whose
timer is due, and no others.

A timer whose step fails (its procedure code raised or went over a bound) opens an incident
(`incidents.py`): that dossier's timers then wait for a person to retry the step once the procedure is
fixed, instead of failing again every second, and the other dossiers carry on. Each dossier is fired in its
own transaction, and nothing one dossier raises stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from engine.dossiers.actions import OPEN_STATUSES, PAUSED_STATUSES
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.projection import OPEN, sync_tasks
from engine.dossiers.service import save_workflow
from engine.dossiers.workflows import fire_due_timers, restore_workflow
from engine.errors import Conflict, MotcuaError, ProcessError
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .incidents import HAS_OPEN_INCIDENT, IncidentView, find_incident, note_failed_retry, record_incident, resolve

log = logging.getLogger(__name__)
KIND = "timer"


def due_timers(uow: UnitOfWork, limit: int) -> list[int]:
    now = uow.clock()
    return list(uow.session.scalars(
        select(Dossier.id).where(Dossier.next_timer_at <= now, Dossier.status.in_(sorted(OPEN_STATUSES)),
                                 ~HAS_OPEN_INCIDENT)
        .order_by(Dossier.next_timer_at).limit(limit)))


def fire_timers(new_uow: Callable[[], UnitOfWork], limit: int = 50, webhook_url: str | None = None
                ) -> tuple[int, float]:
    """Run every workflow whose timer is due, each in its own transaction; returns (fired, max lag, s).

    Several schedulers may do this at once: the dossier's optimistic lock lets one of them win per dossier
    (the other's save is a stale update and is dropped).
    """
    with new_uow() as uow:
        ids = due_timers(uow, limit)
    fired, max_lag = 0, 0.0
    for dossier_id in ids:
        with new_uow() as uow:
            try:
                lag = _fire_one(uow, dossier_id)
            except StaleDataError:
                continue  # another scheduler fired it a moment ago
            except SQLAlchemyError as exc:  # the database, not the procedure: tried again next run
                log.warning("timer of dossier %s not fired: %s", dossier_id, exc)
                continue
            except Exception as exc:  # the procedure's step failed: an incident, and the dossier waits
                uow.session.rollback()
                error = exc if isinstance(exc, ProcessError) else _as_process_error(exc)
                log.warning("timer of dossier %s failed (%s): %s", dossier_id, error.reason, error.detail)
                record_incident(uow, dossier_id, KIND, error, webhook_url)
                continue
        if lag is not None:
            fired += 1
            max_lag = max(max_lag, lag)
    return fired, max_lag


def _as_process_error(exc: Exception) -> ProcessError:
    if isinstance(exc, MotcuaError):
        return ProcessError(exc.detail, reason="script-error")
    log.error("timer step raised %s", type(exc).__name__, exc_info=exc)
    return ProcessError(f"{type(exc).__name__}: {str(exc)[:500]}", reason="internal")


def _fire_one(uow: UnitOfWork, dossier_id: int) -> float | None:
    session, now = uow.session, uow.clock()
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or dossier.next_timer_at is None or dossier.next_timer_at > now \
            or dossier.status not in OPEN_STATUSES:
        return None
    scheduled = dossier.next_timer_at
    run_timers(uow, dossier, now, scheduled)
    uow.commit()
    return (now - scheduled).total_seconds()


def run_timers(uow: UnitOfWork, dossier: Dossier, now: datetime, scheduled: datetime | None,
               actor: Actor | None = None) -> None:
    """Fire the dossier's due timers and run on to the next wait, in the caller's transaction (not committed)."""
    session = uow.session
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    workflow = restore_workflow(compiled, dossier.state, uow.scripts)
    fire_due_timers(workflow)
    known = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                          TaskRecord.state == OPEN)))
    save_workflow(dossier, workflow, uow.calendar, now)
    created = sync_tasks(session, dossier, workflow, compiled, now, uow.calendar, known_open=known)
    uow.record(actor, "timer_fired", "dossier", dossier.code, dossier_id=dossier.id, at=now,
               detail={"scheduled_at": scheduled.isoformat() if scheduled else None,
                       "next_tasks": [t.bpmn_id for t in created]})


def retry_incident(uow: UnitOfWork, actor: Actor, incident_id: int) -> IncidentView:
    """A person runs the failed step again (after fixing the procedure): the incident is resolved when it
    succeeds; when it fails again it stays open, with one attempt more, and the ProcessError is raised."""
    view = find_incident(uow, actor, incident_id)
    incident, session, now = view.incident, uow.session, uow.clock()
    if incident.resolved_at is not None:
        raise Conflict(f"incident {incident_id} is already resolved")
    dossier = session.get(Dossier, incident.dossier_id)
    assert dossier is not None
    if dossier.finished_at is None and dossier.status in PAUSED_STATUSES:
        raise Conflict(f"dossier {dossier.code} is {dossier.status}; its timers wait until it resumes",
                       dossier_status=dossier.status)
    note = "nothing left to run: the dossier is finished"
    if dossier.finished_at is None and dossier.status in OPEN_STATUSES:
        try:
            run_timers(uow, dossier, now, dossier.next_timer_at, actor)
        except ProcessError as exc:
            note_failed_retry(uow, actor, incident_id, exc)
            raise
        note = "the step ran"
    incident.attempts += 1
    incident.last_attempt_at = now
    resolve(uow, actor, incident, dossier, now, note)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("the dossier was changed by someone else; try again") from None
    return find_incident(uow, actor, incident_id)
