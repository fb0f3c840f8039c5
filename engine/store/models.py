"""The store's own tables: the audit trail, chained by keyed hash so that tampering is detectable, and the
throttle's counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, JSONType, UTCDateTime, utcnow

GENESIS = "0" * 64


class AuditEntry(Base):
    """Who did what, when, from which unit, with the state before and after.

    Entries about a dossier are its history. `seq` is the position in the chain; `hash` covers the entry's
    content and the previous entry's hash.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_unit: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    step: Mapped[str | None] = mapped_column(String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row): writers take its row lock in turn, so the chain never forks.

    `legacy_until` is the last entry hashed with plain SHA-256, before the chain was keyed (migration 0012);
    every later entry is HMAC-SHA256 under the audit key. Checkpoints sign it too, so moving it is detected."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    legacy_until: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LookupFailure(Base):
    """Throttle counters per key, per time window: failed public look-ups (a dossier code, a client address) and
    accepted online submissions per address (`submit:<address>`); see engine/throttle.py."""

    __tablename__ = "lookup_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
