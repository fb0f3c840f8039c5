"""One row per transaction at the payment platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, JSONType, UTCDateTime

CREATED, PENDING, PAID, CANCELLED, FAILED = "created", "pending", "paid", "cancelled", "failed"
SETTLED = frozenset({PAID, CANCELLED, FAILED})


class PaymentTransaction(Base):
    """created (the row, before the platform is asked) -> pending (the pay URL is known) -> paid | cancelled |
    failed. Only the platform's verified callback or the reconciliation's answer settles it."""

    __tablename__ = "payment_transactions"
    __table_args__ = (Index("ix_payment_transactions_state", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    tracking_code: Mapped[str] = mapped_column(String(64), unique=True)  # MaTraCuuTT
    amount: Mapped[int] = mapped_column(Integer)  # VND
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)  # the fee lines sent
    state: Mapped[str] = mapped_column(String(16))
    platform_ref: Mapped[str | None] = mapped_column(String(64))  # the platform's transaction id
    pay_url: Mapped[str | None] = mapped_column(Text)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # the electronic receipt's data
    error: Mapped[str | None] = mapped_column(Text)  # why it failed (the platform unreachable, refused)
    settled_by: Mapped[str | None] = mapped_column(String(16))  # callback | reconciliation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
