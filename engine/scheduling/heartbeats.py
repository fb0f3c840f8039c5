"""Each scheduler job's heartbeat: one row per job, rewritten after every run, so that a scheduler that stopped
(or keeps failing) shows as overdue instead of looking like a scheduler with nothing to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import JobHeartbeat

# A job is overdue when it has not succeeded for this many of its intervals (and at least the grace period).
OVERDUE_INTERVALS = 3
ERROR_CHARS = 300


def _upsert(session: Session, values: dict[str, Any], update: Iterable[str]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(JobHeartbeat).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["job"],
                                               set_={name: stmt.excluded[name] for name in update}))


def register(session: Session, job: str, interval_seconds: float, worker: str, now: datetime) -> None:
    """A scheduler starts the job: its interval, and (the first time ever) when its first run is awaited from.
    A restart keeps the old times, so a scheduler that dies and restarts in a loop still shows as overdue."""
    _upsert(session, {"job": job, "interval_seconds": interval_seconds, "started_at": now, "failures": 0,
                      "worker": worker}, ("interval_seconds", "worker"))


def beat(session: Session, job: str, interval_seconds: float, worker: str, now: datetime) -> None:
    _upsert(session, {"job": job, "interval_seconds": interval_seconds, "started_at": now, "last_success_at": now,
                      "failures": 0, "worker": worker},
            ("interval_seconds", "last_success_at", "failures", "worker"))


def failed(session: Session, job: str, interval_seconds: float, worker: str, now: datetime, error: str) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(JobHeartbeat).values(job=job, interval_seconds=interval_seconds, started_at=now,
                                       last_failure_at=now, failures=1, last_error=error[:ERROR_CHARS],
                                       worker=worker)
    session.execute(stmt.on_conflict_do_update(index_elements=["job"], set_={
        "last_failure_at": now, "failures": JobHeartbeat.failures + 1, "last_error": error[:ERROR_CHARS],
        "worker": worker}))


@dataclass(frozen=True)
class JobHealth:
    job: str
    interval_seconds: float | None  # None: no scheduler ever started the job
    last_success_at: datetime | None
    failures: int
    overdue: bool


def job_health(session: Session, jobs: Iterable[str], now: datetime, grace: timedelta) -> list[JobHealth]:
    """The jobs the code defines, each overdue when it has not succeeded (or, never having succeeded, not
    been started) within OVERDUE_INTERVALS of its intervals, or `grace` if longer; a job never started is overdue."""
    rows = {row.job: row for row in session.scalars(select(JobHeartbeat))}
    found = []
    for job in jobs:
        row = rows.get(job)
        if row is None:
            found.append(JobHealth(job, None, None, 0, True))
            continue
        since = row.last_success_at or row.started_at
        allowed = max(timedelta(seconds=row.interval_seconds * OVERDUE_INTERVALS), grace)
        found.append(JobHealth(job, row.interval_seconds, row.last_success_at, row.failures, now - since > allowed))
    return found
