"""Public tracking by dossier code and PIN: status, appointment date and steps, with no personal data.

A wrong PIN looks exactly like an unknown code (404). Codes are sequential, so the PIN is the only secret,
and failures are counted in the database (every worker sees them) so that guessing stays infeasible, while
nobody can lock the rightful citizen out from elsewhere:

- per code and client address: 5 failures per 15 minutes, then that address waits (429) for that code;
- per client address: 20 failures per 15 minutes over all codes (one address sweeping many codes);
- per code, from every address together: once 30 failures are counted within 24 hours the code is *guarded*
  for the rest of those 24 hours: each address may then fail on it only once per 24 hours.

No limit ever refuses an address because of failures made from other addresses, so the citizen's right PIN,
from any address that has not itself failed on this code, always works. (Addresses are counted as
`throttle.address_key` says: IPv6 by /64. People behind one shared address share its counts.)

What a guesser gets, with PINs of `codes.PIN_DIGITS` = 8 digits (10^8; dossiers created before had 6 digits
and keep them):
- against one code, from A addresses: at most 30 + A guesses in each 24-hour window of the code's counter.
  With 1,000 addresses that is 1,030 a day, a chance of 1.03 × 10^-5 a day (0.4% in a year of trying every
  day); with 100,000 addresses, 1.0 × 10^-3 a day;
- sweeping every code instead: each address makes at most 20 × 96 = 1,920 guesses a day, each with a 10^-8
  chance, so 1,000 addresses find one dossier in about 52 days (with 6-digit PINs, two a day: hence 8 digits).
A found dossier shows its status and steps, never who it belongs to.
Requests served at the same moment are checked before any of them is counted, so each limit can be
overshot by the number of requests served at once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.errors import Conflict, NotFound, ValidationFailed
from engine.store.throttle import TooManyAttempts, address_key, blocked_until, count_event, refusal
from engine.store.uow import UnitOfWork

from .models import Dossier, TaskRecord
from .projection import CANCELLED, STEP_ORDER
from .service import pin_digest
from .situation import Situation, situation_of

__all__ = ["RATINGS", "PublicView", "TooManyAttempts", "authorised", "rate", "track"]

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_CODE_AND_CLIENT = 5
MAX_FAILURES_PER_CLIENT = 20
CODE_WINDOW = timedelta(hours=24)
GUARD_AFTER = 30  # failures on one code within CODE_WINDOW, from all addresses together
MAX_FAILURES_WHILE_GUARDED = 1  # per code and client address within CODE_WINDOW
REFUSED = "too many failed look-ups; try again later"


@dataclass(frozen=True)
class PublicView:
    dossier: Dossier
    procedure_name: dict[str, str]
    steps: list[TaskRecord]
    situation: Situation  # why, and what to do: a supplement, a refusal, a fee, a result to collect


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    window: timedelta


def _counters(code: str, client: str, guarded: bool) -> list[_Counter]:
    address = address_key(client)
    found = [_Counter(f"client:{address}", MAX_FAILURES_PER_CLIENT, WINDOW),
             _Counter(f"track:pair:{code}|{address}", MAX_FAILURES_PER_CODE_AND_CLIENT, WINDOW)]
    if guarded:
        found.append(_Counter(f"track:guard:{code}|{address}", MAX_FAILURES_WHILE_GUARDED, CODE_WINDOW))
    return found


def authorised(uow: UnitOfWork, code: str, pin: str | None, client: str) -> Dossier:
    now = uow.clock()
    code = code[:100]
    per_code = _Counter(f"track:code:{code}", GUARD_AFTER, CODE_WINDOW)
    guarded = blocked_until(uow, per_code.key, per_code.limit, per_code.window, now) is not None
    counters = _counters(code, client, guarded)
    for counter in counters:  # only this address's own failures can refuse it
        until = blocked_until(uow, counter.key, counter.limit, counter.window, now)
        if until is not None:
            raise refusal(REFUSED, until, now)
    dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).first()
    expected = dossier.pin_hash if dossier is not None else None
    given = pin_digest(uow.pin_secret, code, pin or "")
    if expected is None or not hmac.compare_digest(expected, given):
        for counter in counters:
            count_event(uow, counter.key, counter.window, now)
        failures, start = count_event(uow, per_code.key, per_code.window, now)
        if failures == GUARD_AFTER and dossier is not None:  # once per guarded period, for a real dossier
            uow.record(None, "tracking_guarded", "dossier", code, dossier_id=dossier.id, at=now,
                       detail={"failures": failures, "until": (start + CODE_WINDOW).isoformat()})
        uow.commit()
        raise NotFound(f"dossier {code} does not exist")
    return dossier


def track(uow: UnitOfWork, code: str, pin: str | None, client: str) -> PublicView:
    dossier = authorised(uow, code, pin, client)
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    steps = list(uow.session.scalars(select(TaskRecord).where(
        TaskRecord.dossier_id == dossier.id, TaskRecord.state != CANCELLED).order_by(*STEP_ORDER)))
    return PublicView(dossier, compiled.meta["name"], steps, situation_of(uow, dossier))


RATINGS = {1: "dissatisfied", 2: "satisfied", 3: "very satisfied"}


def rate(uow: UnitOfWork, code: str, pin: str | None, client: str, rating: Any, comment: str | None) -> Dossier:
    """The applicant's satisfaction rating, once, after the result was returned."""
    if rating not in RATINGS or isinstance(rating, bool):
        raise ValidationFailed("rating must be 1, 2 or 3", {"rating": ["1 dissatisfied, 2 satisfied, 3 very."]})
    dossier = authorised(uow, code, pin, client)
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
