"""Firing BPMN timers on time: the dossiers row keeps each workflow's earliest waiting timer
(`next_timer_at`, written whenever the workflow is saved), so the scheduler loads exactly the workflows whose
timer is due, and no others.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from .actions import OPEN_STATUSES
from .dossiers import save_workflow
from .errors import MotcuaError
from .models import Dossier, TaskRecord
from .projection import OPEN, sync_tasks
from .uow import UnitOfWork
from .workflows import fire_due_timers, restore_workflow

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


def fire_timers(uow: UnitOfWork, limit: int = 50) -> tuple[int, float]:
    """Run every workflow whose timer is due; returns (fired, max lag in seconds). Commits."""
    session, now = uow.session, uow.clock()
    query = (select(Dossier.id, Dossier.next_timer_at)
             .where(Dossier.next_timer_at <= now, Dossier.status.in_(sorted(OPEN_STATUSES)))
             .order_by(Dossier.next_timer_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.execute(query).all()
    fired, max_lag = 0, 0.0
    for dossier_id, scheduled in due:
        dossier = session.get(Dossier, dossier_id)
        if dossier is None or dossier.next_timer_at != scheduled:
            continue
        try:
            with session.begin_nested():
                compiled = uow.cache.get(session, dossier.procedure_version_id)
                workflow = restore_workflow(compiled, dossier.state)
                fire_due_timers(workflow)
                known = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                                      TaskRecord.state == OPEN)))
                save_workflow(dossier, workflow, uow.calendar, now)
                created = sync_tasks(session, dossier, workflow, compiled, now, uow.calendar, known_open=known)
                session.flush()
        except MotcuaError as exc:  # a broken script after the timer: keep the dossier as it was, retry later
            log.warning("timer of dossier %s failed: %s", dossier.code, exc)
            session.refresh(dossier)
            dossier.next_timer_at = now + RETRY_AFTER_FAILURE
            uow.record(None, "timer_failed", "dossier", dossier.code, dossier_id=dossier.id,
                       detail={"error": str(exc)[:500]}, at=now)
            continue
        uow.record(None, "timer_fired", "dossier", dossier.code, dossier_id=dossier.id, at=now,
                   detail={"scheduled_at": scheduled.isoformat(), "next_tasks": [t.bpmn_id for t in created]})
        fired += 1
        if dossier.next_timer_at != scheduled:  # fired (a timer still due later keeps its time)
            max_lag = max(max_lag, (now - scheduled).total_seconds())
    uow.commit()
    return fired, max_lag
