"""One rule for "overdue", kept by the register, the leader's overdue list and the figures alike.

A dossier is overdue when it is not finished and its legal due date has passed on the running clock. A pause
(awaiting a supplement or a payment) stops that clock: when it ends, the due date moves by the paused working
time (`lifecycle._resume`). So a paused dossier is overdue only if its due date had passed before the pause
began; one whose due date falls inside the pause is not, it will move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql import ColumnElement

from .models import Dossier


def overdue_at(as_of: datetime, d: Any = Dossier) -> ColumnElement[bool]:
    """Open, and past its due date at `as_of` (or when its pause began, if it is paused). `d`: the table, or a
    subquery with its columns."""
    return and_(d.finished_at.is_(None), d.due_at < as_of, or_(d.paused_at.is_(None), d.due_at < d.paused_at))


def overdue_when_open(as_of: datetime) -> ColumnElement[bool]:
    """`overdue_at` for rows already known to be open at `as_of` (the figures' open dossiers)."""
    return and_(Dossier.due_at < as_of, or_(Dossier.paused_at.is_(None), Dossier.due_at < Dossier.paused_at))


def is_overdue(row: Any, now: datetime) -> bool:
    """`overdue_at` for one row read already."""
    if row.finished_at is not None or row.due_at is None or row.due_at >= now:
        return False
    return row.paused_at is None or row.due_at < row.paused_at
