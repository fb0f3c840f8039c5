"""Public tracking by dossier code and PIN: status, appointment date and steps, with no personal data.

A wrong PIN looks exactly like an unknown code (404). Failures are counted per code and per client in
the database (so every worker sees them); past the limit, look-ups are refused (429) until the window ends.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.errors import Conflict, NotFound, ValidationFailed
from engine.store.throttle import TooManyAttempts, blocked_until, count_event, refusal
from engine.store.uow import UnitOfWork

from .models import Dossier, TaskRecord
from .projection import CANCELLED, STEP_ORDER
from .service import pin_digest

__all__ = ["RATINGS", "PublicView", "TooManyAttempts", "rate", "track"]

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_CODE = 5
MAX_FAILURES_PER_CLIENT = 20


@dataclass(frozen=True)
class PublicView:
    dossier: Dossier
    procedure_name: dict[str, str]
    steps: list[TaskRecord]


def _blocked(uow: UnitOfWork, keys: list[tuple[str, int]], now: datetime) -> datetime | None:
    return next((until for key, limit in keys if (until := blocked_until(uow, key, limit, WINDOW, now))), None)


def _record_failure(uow: UnitOfWork, keys: list[str], now: datetime) -> None:
    for key in keys:
        count_event(uow, key, WINDOW, now)
    uow.commit()


def _authorised(uow: UnitOfWork, code: str, pin: str | None, client: str) -> Dossier:
    now = uow.clock()
    keys = [(f"code:{code}"[:200], MAX_FAILURES_PER_CODE), (f"client:{client}"[:200], MAX_FAILURES_PER_CLIENT)]
    until = _blocked(uow, keys, now)
    if until is not None:
        raise refusal("too many failed look-ups; try again later", until, now)
    dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).first()
    expected = dossier.pin_hash if dossier is not None else None
    given = pin_digest(uow.pin_secret, code, pin or "")
    if expected is None or not hmac.compare_digest(expected, given):
        _record_failure(uow, [k for k, _ in keys], now)
        raise NotFound(f"dossier {code} does not exist")
    return dossier


def track(uow: UnitOfWork, code: str, pin: str | None, client: str) -> PublicView:
    dossier = _authorised(uow, code, pin, client)
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    steps = list(uow.session.scalars(select(TaskRecord).where(
        TaskRecord.dossier_id == dossier.id, TaskRecord.state != CANCELLED).order_by(*STEP_ORDER)))
    return PublicView(dossier, compiled.meta["name"], steps)


RATINGS = {1: "dissatisfied", 2: "satisfied", 3: "very satisfied"}


def rate(uow: UnitOfWork, code: str, pin: str | None, client: str, rating: Any, comment: str | None) -> Dossier:
    """The applicant's satisfaction rating, once, after the result was returned."""
    if rating not in RATINGS or isinstance(rating, bool):
        raise ValidationFailed("rating must be 1, 2 or 3", {"rating": ["1 dissatisfied, 2 satisfied, 3 very."]})
    dossier = _authorised(uow, code, pin, client)
    if dossier.status != "returned":
        raise Conflict("a dossier is rated after its result is returned", dossier_status=dossier.status)
    if dossier.rating is not None:
        raise Conflict("this dossier has already been rated")
    now = uow.clock()
    dossier.rating, dossier.rating_comment, dossier.rated_at = rating, (comment or "")[:2000], now
    uow.record(None, "rated", "dossier", dossier.code, dossier_id=dossier.id, after={"rating": rating},
               at=now)
    uow.commit()
    return dossier
