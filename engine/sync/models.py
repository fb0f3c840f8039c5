"""The portal outbox: one row per message to the national portal, a snapshot of the dossier as committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, JSONType, UTCDateTime

PENDING = text("state = 'pending'")


class PortalMessage(Base):
    """A dossier's state to push to the portal (contract §1 payload, without `message_id`, which is the row's
    id, added at delivery). Messages of one dossier are sent in id order; `failed` is final (the portal refused
    the data), `pending` is retried for ever."""

    __tablename__ = "portal_outbox"
    __table_args__ = (
        # the due messages, and each dossier's earlier pending ones (the head of its queue)
        Index("ix_portal_outbox_pending", "next_attempt_at", postgresql_where=PENDING, sqlite_where=PENDING),
        Index("ix_portal_outbox_dossier_pending", "dossier_id", "id", postgresql_where=PENDING,
              sqlite_where=PENDING),
        # a dossier's latest message (its sync state) and the sync rate over a period
        Index("ix_portal_outbox_dossier", "dossier_id", "id"),
        Index("ix_portal_outbox_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    action: Mapped[str] = mapped_column(String(64))  # the audit action that made it (progress's source)
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a deliverer is sending it
    last_error: Mapped[str | None] = mapped_column(Text)  # the portal's reason, or why it was unreachable
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
