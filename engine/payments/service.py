"""Starting an online payment and taking the platform's outcome.

Start: the transaction's row is committed first (state `created`), the platform is asked with no transaction
open, then the pay URL (state `pending`) or the failure (`failed`) is committed: a platform that hangs never
holds a database lock, and a crash in between leaves a row the reconciliation finds.

Settle: the outcome the platform signed (a callback the API verified, or a detail the reconciliation read) is
checked against the row (dossier, amount, the platform's transaction id) and applied once: a second identical
outcome changes nothing; one that contradicts a settled transaction, or a callback signed too long ago, is a
replay (409). A paid transaction records the dossier's payment through the lifecycle (`record_online_payment`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.dossiers.actions import fee_owed
from engine.dossiers.lifecycle import record_online_payment
from engine.dossiers.models import Dossier
from engine.errors import BadRequest, Conflict, NotFound
from engine.people.models import Unit
from engine.store.uow import UnitOfWork

from .models import CREATED, FAILED, PAID, PENDING, SETTLED, PaymentTransaction

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
STATES = frozenset({PENDING, *SETTLED})


class PlatformUnavailable(Exception):
    """What the entry points' platform functions raise: the platform is down (`answered` False) or refused."""

    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


class PaymentUnavailable(Conflict):
    """The platform could not start the payment now; the transaction is kept as failed, the fee still owed."""

    title = "Payment platform unavailable"
    code = "payment-unavailable"


class Replayed(Conflict):
    title = "Callback replayed"
    code = "callback-replayed"


Create = Callable[[dict[str, Any]], dict[str, str]]  # order -> {"pay_url", "platform_ref"}


@dataclass(frozen=True)
class Outcome:
    """A transaction's outcome as the platform signed it (the connector's `outcome` keys)."""

    tracking_code: str
    dossier_code: str
    amount: int
    state: str  # pending | paid | cancelled | failed
    platform_ref: str = ""
    paid_at: str | None = None
    signed_at: str | None = None  # ISO-8601 with offset
    receipt: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settled:
    tracking_code: str
    state: str
    changed: bool  # False: the outcome was known already (a duplicate or late callback)
    dossier_code: str
    dossier_status: str


def owes(dossier: Dossier) -> bool:
    """A fee can be paid online now (shared contract 3)."""
    return fee_owed(dossier) or dossier.status == "payment_required"


def transactions_of(uow: UnitOfWork, dossier: Dossier) -> list[PaymentTransaction]:
    return list(uow.session.scalars(select(PaymentTransaction).where(PaymentTransaction.dossier_id == dossier.id)
                                    .order_by(PaymentTransaction.id)))


def _order(uow: UnitOfWork, dossier: Dossier, tracking_code: str) -> dict[str, Any]:
    meta = uow.cache.get(uow.session, dossier.procedure_version_id).meta
    unit = uow.session.get(Unit, dossier.competent_unit) if dossier.competent_unit else None
    name = f"Phí, lệ phí: {meta['name']['vi']}"[:300]
    amount = int(dossier.fee_amount or 0)
    return {"dossier_code": dossier.code, "tracking_code": tracking_code,
            "procedure_national_code": meta.get("national_code") or dossier.procedure_code,
            "procedure_name": meta["name"]["vi"], "unit_code": dossier.competent_unit or "",
            "unit_name": unit.name if unit else "", "description": f"Nộp phí, lệ phí hồ sơ {dossier.code}",
            "payer_name": dossier.applicant_name, "payer_id": dossier.applicant_key or "", "amount": amount,
            "lines": [{"kind": "fee", "code": f"{dossier.procedure_code}-le-phi", "name": name, "amount": amount}]}


def start_payment(uow: UnitOfWork, dossier: Dossier, create: Create) -> PaymentTransaction:
    """A transaction with its pay URL for the fee the dossier owes (an earlier one still pending is reused).
    The caller has checked who asks (PIN or the owning citizen). PaymentUnavailable: the platform failed."""
    if not owes(dossier) or not dossier.fee_amount:
        raise Conflict("no fee is owed on this dossier", dossier_status=dossier.status)
    for earlier in reversed(transactions_of(uow, dossier)):
        if earlier.state == PENDING and earlier.amount == dossier.fee_amount and earlier.pay_url:
            return earlier
    now = uow.clock()
    tracking = f"{dossier.code}{now.astimezone(LOCAL):%Y%m%d%H%M%S}"  # MaTraCuuTT
    if uow.session.scalar(select(PaymentTransaction.id).where(PaymentTransaction.tracking_code == tracking)):
        raise Conflict("a payment was started for this dossier a moment ago; try again in a few seconds")
    order = _order(uow, dossier, tracking)
    row = PaymentTransaction(dossier_id=dossier.id, tracking_code=tracking, amount=order["amount"],
                             lines=order["lines"], state=CREATED, created_at=now, updated_at=now)
    uow.session.add(row)
    uow.record(None, "payment_started", "payment", tracking, unit=dossier.competent_unit, dossier_id=dossier.id,
               after={"state": CREATED}, detail={"amount": row.amount})
    uow.commit()
    try:  # no transaction is open here: the platform's time is not the database's
        found, error = create(order), None
    except PlatformUnavailable as exc:
        found, error = None, str(exc)[:500]
    row.updated_at = uow.clock()
    if found is not None:
        row.state, row.pay_url, row.platform_ref = PENDING, found["pay_url"], found.get("platform_ref") or None
    else:
        row.state, row.error = FAILED, error
    uow.record(None, "payment_link" if found else "payment_failed", "payment", tracking,
               unit=dossier.competent_unit, dossier_id=dossier.id, before={"state": CREATED},
               after={"state": row.state}, detail={"error": error} if error else {"platform_ref": row.platform_ref})
    uow.commit()
    if found is None:
        raise PaymentUnavailable("the payment platform cannot take the payment now; the fee is still owed",
                                 tracking_code=tracking)
    return row


def _signed_recently(outcome: Outcome, now: datetime, window: timedelta) -> bool:
    try:
        signed = datetime.fromisoformat(outcome.signed_at or "")
    except ValueError:
        return False
    return signed.tzinfo is not None and abs(now - signed) <= window


def settle(uow: UnitOfWork, outcome: Outcome, source: str, window: timedelta | None = None) -> Settled:
    """Apply a verified outcome (source: callback | reconciliation); `window`: how old a callback may be.
    NotFound: no such transaction; BadRequest: it names another dossier or amount; Replayed (409): too old, another
    platform transaction, or contradicting a settled one. Commits."""
    if outcome.state not in STATES:
        raise BadRequest(f"unknown payment state {outcome.state!r}")
    session, now = uow.session, uow.clock()
    row = session.scalars(select(PaymentTransaction).where(PaymentTransaction.tracking_code == outcome.tracking_code)
                          .with_for_update()).first()
    if row is None:
        raise NotFound(f"no payment transaction {outcome.tracking_code}")
    dossier = session.get(Dossier, row.dossier_id)
    assert dossier is not None
    if outcome.dossier_code != dossier.code or outcome.amount != row.amount:
        log.warning("payment %s: outcome for dossier %s / %s VND refused (expected %s / %s)", row.tracking_code,
                    outcome.dossier_code, outcome.amount, dossier.code, row.amount)
        raise BadRequest("the outcome names another dossier or amount than the transaction",
                         reason="mismatch", expected_amount=row.amount)
    if window is not None and not _signed_recently(outcome, now, window):
        raise Replayed("the callback was signed too long ago (or carries no time): refused as a replay")
    if row.platform_ref and outcome.platform_ref and outcome.platform_ref != row.platform_ref:
        raise Replayed("the callback names another platform transaction than the one of this payment")
    result = Settled(row.tracking_code, row.state, False, dossier.code, dossier.status)
    if row.state in SETTLED:
        if row.state == outcome.state:
            return result  # a duplicate or late callback, or a reconciliation after it: nothing changes
        raise Replayed(f"the transaction is already {row.state}; an outcome {outcome.state} is refused",
                       state=row.state)
    if outcome.state == PENDING:
        return result
    before = row.state
    row.state, row.settled_at, row.updated_at, row.settled_by = outcome.state, now, now, source
    row.platform_ref = row.platform_ref or outcome.platform_ref or None
    detail: dict[str, Any] = {"source": source, "platform_ref": row.platform_ref}
    if outcome.state == PAID:
        row.receipt = {**outcome.receipt, "paid_at": outcome.paid_at, "amount": outcome.amount}
        detail["receipt"] = outcome.receipt.get("receipt_number", "")
        if owes(dossier):
            record_online_payment(uow, dossier, now, {"tracking_code": row.tracking_code,
                                                      "receipt": detail["receipt"]})
        else:  # paid at the counter (or waived) meanwhile: kept for the unit to refund
            detail["not_owed"] = True
    uow.record(None, f"payment_{outcome.state}", "payment", row.tracking_code, unit=dossier.competent_unit,
               dossier_id=dossier.id, before={"state": before}, after={"state": row.state}, detail=detail)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("the dossier was changed at the same moment; the platform will send the outcome again") from None
    return Settled(row.tracking_code, row.state, True, dossier.code, dossier.status)


def find(uow: UnitOfWork, tracking_code: str) -> PaymentTransaction | None:
    return uow.session.scalars(select(PaymentTransaction)
                               .where(PaymentTransaction.tracking_code == tracking_code[:64])).first()


def summary(uow: UnitOfWork, dossier: Dossier) -> dict[str, Any]:
    """What a tracking page shows (shared contract 3): whether a fee can be paid online now, and the latest
    transaction's state and receipt. No personal data."""
    rows = transactions_of(uow, dossier)
    latest = rows[-1] if rows else None
    return {"owed": owes(dossier) and bool(dossier.fee_amount), "amount": int(dossier.fee_amount or 0),
            "paid_at": dossier.paid_at, "paid_online": bool(dossier.paid_online),
            "latest": None if latest is None else {
                "tracking_code": latest.tracking_code, "state": latest.state, "amount": latest.amount,
                "receipt": latest.receipt, "created_at": latest.created_at, "settled_at": latest.settled_at}}
