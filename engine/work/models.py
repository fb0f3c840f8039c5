"""Open-task counts per unit and role, for inbox totals that do not count a province's open tasks row by row."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base


class OpenTaskCount(Base):
    """Append-only deltas (+1 a task opened, -1 it closed) written by database triggers on `tasks`, so that no
    code path can forget them and no two transactions wait on one counter row; the scheduler folds them into
    one row per unit and role (`engine.work.counts.fold`). A unit's open tasks are the sum of its rows."""

    __tablename__ = "open_task_counts"
    __table_args__ = (Index("ix_open_task_counts_unit", "unit_code", "role"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)
