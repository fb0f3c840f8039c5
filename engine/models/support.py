"""Working-calendar overrides and throttling of public look-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, JSONType, UTCDateTime, utcnow


class CalendarOverride(Base):
    """A day whose working status differs from the holiday package: an extra day off, a moved make-up day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="file")  # file | api
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupFailure(Base):
    """Throttle counters per key, per time window: failed public look-ups (a dossier code, a client address) and
    accepted online submissions per address (`submit:<address>`); see engine/throttle.py."""

    __tablename__ = "lookup_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Escalation(Base):
    """An open warning, escalation or apology draft, until the step completes or the dossier ends."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_open", "unit_code", postgresql_where=text("resolved_at IS NULL"),
                            sqlite_where=text("resolved_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # warning | escalation | reescalation | apology
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))  # whose leaders must act
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the deadline at stake
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was due to fire (lag = fired - this)
    proposed_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # apology: the new appointment
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
