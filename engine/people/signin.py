"""Signing in with a local account, throttled per account and per client address.

Failed sign-ins are counted in fixed windows (`SigninLimits.window`, MOTCUA_SIGNIN_WINDOW, 15 minutes):

- per account and address (MOTCUA_SIGNIN_LIMIT, 5): one address guessing one account gets 5 guesses a
  window, and the only one this stops is that address, for that account;
- per address (MOTCUA_SIGNIN_CLIENT_LIMIT, 30): one address trying many accounts;
- per account, from addresses it has not signed in from within `KNOWN_FOR` (MOTCUA_SIGNIN_ACCOUNT_LIMIT, 20):
  many addresses guessing one account. The account's own recent addresses are exempt, so a stranger's wrong
  passwords, from one address or from a thousand, never lock the officer out at their own desk; they only slow
  the guessing (at most 20 guesses a window, 1,920 a day, from anywhere new).

A per-account counter that blocked every address would hand anyone a lock-out button for any officer; a
backoff would have to hold a worker while it waits. Hence this split: strict where the guesser sits, loose
and exempting the owner's addresses where it does not. Unknown usernames are counted like known ones, so the
answers never tell which accounts exist. A refused attempt does not check the password (no scrypt work for a
blocked guesser) and is not counted again. The audit trail gets one entry when a counter reaches its limit,
not one per refused probe. Concurrent attempts that pass the check together are all counted, so the limits
can be overshot by at most the number of requests served at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Unauthorized
from engine.store.throttle import address_key, blocked_until, count_event, forget, refusal, within_window
from engine.store.uow import UnitOfWork

from .models import User
from .passwords import DUMMY_HASH, verify_password

KNOWN_FOR = timedelta(days=30)  # an address the account signed in from is its own for this long
KNOWN_PREFIX = "signin:known:"
TOO_MANY = "too many failed sign-ins; try again later"


@dataclass(frozen=True)
class SigninLimits:
    window: timedelta = timedelta(minutes=15)
    per_account_address: int = 5
    per_address: int = 30
    per_account: int = 20  # from addresses the account has not signed in from lately


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, DUMMY_HASH)
        raise Unauthorized("wrong username or password")
    if not verify_password(password, user.password_hash) or not user.active:
        raise Unauthorized("wrong username or password")
    return user


def sign_in(uow: UnitOfWork, username: str, password: str, client: str | None, limits: SigninLimits) -> User:
    """The user whose password this is, unless a throttle refuses first (429, with the seconds to wait).

    A failure is counted and committed before the 401 is raised; a success forgets the failures of that
    account and address and marks the address as the account's own. The caller records the sign-in."""
    now = uow.clock()
    account, address = username.strip().casefold()[:100], address_key(client)
    known = f"{KNOWN_PREFIX}{account}|{address}"
    counters = [(f"signin:pair:{account}|{address}", limits.per_account_address, "account-address"),
                (f"signin:client:{address}", limits.per_address, "address")]
    if not within_window(uow, known, KNOWN_FOR, now):
        counters.append((f"signin:account:{account}", limits.per_account, "account"))
    for key, limit, _ in counters:
        until = blocked_until(uow, key, limit, limits.window, now)
        if until is not None:
            raise refusal(TOO_MANY, until, now)
    try:
        user = authenticate(uow.session, username, password)
    except Unauthorized:
        _count_failure(uow, counters, username, address, limits.window, now)
        raise
    forget(uow, counters[0][0])
    count_event(uow, known, KNOWN_FOR, now)
    return user


def _count_failure(uow: UnitOfWork, counters: list[tuple[str, int, str]], username: str, address: str,
                   window: timedelta, now: datetime) -> None:
    for key, limit, kind in counters:
        count, start = count_event(uow, key, window, now)
        if count == limit:  # once, when the block starts: refused probes after it leave no trace
            uow.record(None, "sign_in_throttled", "user", username[:100],
                       detail={"client": address, "counter": kind, "failures": count,
                               "until": (start + window).isoformat()}, at=now)
    uow.commit()
