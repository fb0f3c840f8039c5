"""One row per dossier whose result is issued electronically (shared contract: Part L)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UTCDateTime

RENDERING, AWAITING, PENDING, SIGNED, ISSUED, FAILED = (
    "rendering", "awaiting_leader", "leader_pending", "leader_signed", "issued", "failed")
STATES = (RENDERING, AWAITING, PENDING, SIGNED, ISSUED, FAILED)


class ResultDocument(Base):
    """rendering (the draft is being made) -> awaiting_leader (the draft is there) -> leader_pending (a remote
    signature asked, the leader confirms on the phone) -> leader_signed (the leader's signature is in, the unit's
    seal next) -> issued. A rejected or expired remote request goes back to awaiting_leader, `error` saying why.
    Failures keep the state and the message; the scheduler's `results` job tries again."""

    __tablename__ = "result_documents"
    __table_args__ = (Index("ix_result_documents_state", "state", "updated_at"),
                      Index("ix_result_documents_timestamp_until", "state", "timestamp_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(100))  # "số/ký hiệu": "<n>/<number_symbol>"
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("rendered_documents.id"))
    signed_id: Mapped[int | None] = mapped_column(ForeignKey("rendered_documents.id"))  # the final PDF
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remote_transaction: Mapped[str | None] = mapped_column(String(100), unique=True)
    remote_state: Mapped[bytes | None] = mapped_column(LargeBinary)  # PreparedSignature.state
    remote_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failures in a row of the job's work on it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)  # why the last attempt failed, or why the leader's was refused
    # issued: the TSA certificate's end of the signed PDF's last document time stamp; renewed before it (NULL: not
    # known yet, read from the PDF by the job)
    timestamp_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
