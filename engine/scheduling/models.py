"""The scheduler's tables: the notification outbox, the record of job runs, each job's heartbeat, and
incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, JSONType, UTCDateTime


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "next_attempt_at", postgresql_where=text("state = 'pending'"),
                            sqlite_where=text("state = 'pending'")),
                      Index("ix_outbox_inbox", "recipient_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # inapp | email | webhook
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One scheduler run that did some work: what, how much, and how late after it fell due."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    items: Mapped[int] = mapped_column(Integer)
    max_lag_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    worker: Mapped[str] = mapped_column(String(100), default="")


OPEN_INCIDENT = text("resolved_at IS NULL")


class Incident(Base):
    """A step the scheduler could not run on a dossier: its procedure code failed or went over a bound. The
    dossier's timers wait (no retry every second) until a person retries the step, once the procedure is
    fixed; at most one is open per dossier."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ux_incidents_open_dossier", "dossier_id", unique=True,
                            postgresql_where=OPEN_INCIDENT, sqlite_where=OPEN_INCIDENT),
                      Index("ix_incidents_opened_at", "opened_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    procedure_code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))  # what the scheduler was doing: timer
    element_id: Mapped[str | None] = mapped_column(String(255))
    element_name: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(32))  # ProcessError.reason: script-error, time-limit, ...
    message: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class JobHeartbeat(Base):
    """One row per scheduler job, rewritten after every run (even one that found nothing to do): when the job
    last succeeded, so `/healthz` can tell a scheduler that stopped from one with nothing to do."""

    __tablename__ = "job_heartbeats"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when a scheduler last started this job
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last success
    last_error: Mapped[str | None] = mapped_column(String(300))  # the exception's type and message, cut short
    worker: Mapped[str] = mapped_column(String(100), default="")
