"""Requests to publish a draft, when publishing needs a second person (MOTCUA_PUBLISH_APPROVAL=1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UTCDateTime

PENDING = text("status = 'pending'")


class PublishRequest(Base):
    """A reform officer or designer asks for a draft to be published; another person approves (the draft is
    published) or sends it back with a reason. The request holds the draft's content hash: any later save of
    the draft voids it, so what is approved is what was asked for.

    status: pending | approved | rejected | voided (the draft changed, or was published otherwise)."""

    __tablename__ = "publish_requests"
    __table_args__ = (  # one waiting request per draft, even when two people ask at the same moment
        Index("uq_publish_requests_pending", "version_id", unique=True, postgresql_where=PENDING,
              sqlite_where=PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)  # the requester's: why (becomes the publication's note)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # the reviewer's: why sent back, or a word on approving
