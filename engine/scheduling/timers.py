"""Firing BPMN timers on time: the dossiers row keeps each workflow's earliest waiting timer
(`next_timer_at`, written whenever the workflow is saved), so the scheduler loads exactly the workflows whose
timer is due, and no others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine.dossiers.actions import OPEN_STATUSES
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.projection import OPEN, sync_tasks
from engine.dossiers.service import save_workflow
from engine.dossiers.workflows import fire_due_timers, restore_workflow
from engine.errors import MotcuaError
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


def due_timers(uow: UnitOfWork, limit: int) -> list[int]:
    now = uow.clock()
    return list(uow.session.scalars(
        select(Dossier.id).where(Dossier.next_timer_at <= now, Dossier.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Dossier.next_timer_at).limit(limit)))


def fire_timers(new_uow: Callable[[], UnitOfWork], limit: int = 50) -> tuple[int, float]:
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
            except MotcuaError as exc:  # a broken script after the timer: the dossier stays as it was
                uow.session.rollback()
                _postpone(uow, dossier_id, exc)
                continue
        if lag is not None:
            fired += 1
            max_lag = max(max_lag, lag)
    return fired, max_lag


def _fire_one(uow: UnitOfWork, dossier_id: int) -> float | None:
    session, now = uow.session, uow.clock()
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or dossier.next_timer_at is None or dossier.next_timer_at > now \
            or dossier.status not in OPEN_STATUSES:
        return None
    scheduled = dossier.next_timer_at
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    workflow = restore_workflow(compiled, dossier.state)
    fire_due_timers(workflow)
    known = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                          TaskRecord.state == OPEN)))
    save_workflow(dossier, workflow, uow.calendar, now)
    created = sync_tasks(session, dossier, workflow, compiled, now, uow.calendar, known_open=known)
    uow.record(None, "timer_fired", "dossier", dossier.code, dossier_id=dossier.id, at=now,
               detail={"scheduled_at": scheduled.isoformat(), "next_tasks": [t.bpmn_id for t in created]})
    uow.commit()
    return (now - scheduled).total_seconds()


def _postpone(uow: UnitOfWork, dossier_id: int, exc: Exception) -> None:
    now = uow.clock()
    code = uow.session.scalar(select(Dossier.code).where(Dossier.id == dossier_id))
    log.warning("timer of dossier %s failed: %s", code, exc)
    uow.session.execute(update(Dossier).where(Dossier.id == dossier_id)
                        .values(next_timer_at=now + RETRY_AFTER_FAILURE).execution_options(synchronize_session=False))
    uow.record(None, "timer_failed", "dossier", code, dossier_id=dossier_id, detail={"error": str(exc)[:500]}, at=now)
    uow.commit()
