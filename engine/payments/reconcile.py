"""The scheduler's `payments` job: transactions left created or pending longer than a while are asked about at
the platform (outside any transaction) and settled the same way a callback settles them, one transaction each.
A platform that does not answer stops the run (the next one tries again)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.errors import MotcuaError
from engine.store.uow import UnitOfWork

from .models import CREATED, FAILED, PENDING, PaymentTransaction
from .service import Outcome, PlatformUnavailable, settle

log = logging.getLogger(__name__)
BATCH = 100

Detail = Callable[[str], dict[str, Any]]  # MaTraCuuTT -> the outcome (connector's keys); PlatformUnavailable


@dataclass(frozen=True)
class Reconciled:
    asked: int
    settled: int
    max_lag_seconds: float


def _due(uow: UnitOfWork, older_than: timedelta) -> list[tuple[str, str, float]]:
    now = uow.clock()
    rows = uow.session.execute(select(PaymentTransaction.tracking_code, PaymentTransaction.state,
                                      PaymentTransaction.created_at)
                               .where(PaymentTransaction.state.in_((CREATED, PENDING)),
                                      PaymentTransaction.created_at <= now - older_than)
                               .order_by(PaymentTransaction.created_at).limit(BATCH)).all()
    return [(code, state, (now - created).total_seconds()) for code, state, created in rows]


def _give_up(uow: UnitOfWork, tracking_code: str, reason: str) -> None:
    """A transaction the platform never heard of (the start crashed before it was asked): failed."""
    row = uow.session.scalars(select(PaymentTransaction).where(PaymentTransaction.tracking_code == tracking_code)
                              .with_for_update()).first()
    if row is None or row.state != CREATED:
        return
    now = uow.clock()
    row.state, row.error, row.updated_at, row.settled_by = FAILED, reason[:500], now, "reconciliation"
    uow.record(None, "payment_failed", "payment", tracking_code, dossier_id=row.dossier_id,
               before={"state": CREATED}, after={"state": FAILED}, detail={"error": reason[:500]})
    uow.commit()


def reconcile(open_uow: Callable[[], UnitOfWork], detail: Detail | None, older_than: timedelta) -> Reconciled:
    if detail is None:  # no platform configured: nothing can be asked
        return Reconciled(0, 0, 0.0)
    with open_uow() as uow:
        due = _due(uow, older_than)
    asked = settled = 0
    lag = 0.0
    for code, state, age in due:
        try:
            found = detail(code)
        except PlatformUnavailable as exc:
            if not exc.answered:
                log.warning("payments: the platform is unreachable (%s); trying again at the next run", exc)
                break
            if state == CREATED:
                with open_uow() as uow:
                    _give_up(uow, code, str(exc))
            continue
        asked += 1
        lag = max(lag, age)
        try:
            with open_uow() as uow:
                settled += settle(uow, Outcome(**found), "reconciliation").changed
        except MotcuaError as exc:  # a mismatch or a contradiction: left for a person, logged
            log.warning("payments: %s not settled: %s", code, exc.detail)
    return Reconciled(asked, settled, lag)
