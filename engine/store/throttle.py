"""Fixed-window counters kept in the database, so that every worker sees the same counts.

A key ("code:<dossier>", "client:<address>", "submit:<address>", "signin:...") counts events in a window that
opens at its first event; once the count reaches the limit, callers refuse (429) until that window ends. The rows
live in the `lookup_failures` table (key, window_start, count), which holds any such counter.

Addresses go into keys through `address_key`: an IPv6 client is counted by its /64 network, since one
subscriber usually holds a whole /64 and could otherwise take a fresh address for every attempt.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine.errors import MotcuaError

from .db import UTCDateTime
from .models import LookupFailure
from .uow import UnitOfWork

KEY_MAX = 200


class TooManyAttempts(MotcuaError):
    title = "Too many attempts"
    code = "too-many-attempts"


def refusal(detail: str, until: datetime, now: datetime) -> TooManyAttempts:
    """The 429 to raise, telling the client how many seconds to wait (Retry-After)."""
    return TooManyAttempts(detail, retry_after=max(1, math.ceil((until - now).total_seconds())))


def address_key(address: str | None) -> str:
    """The part of a client address a throttle counts by: IPv4 as it is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def blocked_until(uow: UnitOfWork, key: str, limit: int, window: timedelta, now: datetime) -> datetime | None:
    """When the key's full window ends, or None while it is under its limit."""
    row = uow.session.get(LookupFailure, key[:KEY_MAX])
    if row is not None and now - row.window_start < window and row.count >= limit:
        return row.window_start + window
    return None


def count_event(uow: UnitOfWork, key: str, window: timedelta, now: datetime) -> tuple[int, datetime]:
    """Count one event in the key's current window (a new one if it has ended); returns (count, window start).

    One atomic upsert: two workers counting the same key neither lose an event nor collide on a new row, and on
    PostgreSQL the row stays locked until the caller's transaction ends, so checks against the returned count
    are exact. Does not commit: the count belongs to the caller's transaction."""
    key = key[:KEY_MAX]
    expired = LookupFailure.window_start <= now - window
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LookupFailure).values(key=key, window_start=now, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=[LookupFailure.key], set_={
        "count": case((expired, 1), else_=LookupFailure.count + 1),
        "window_start": case((expired, literal(now, UTCDateTime())), else_=LookupFailure.window_start),
    }).returning(LookupFailure.count, LookupFailure.window_start)
    count, start = uow.session.execute(stmt).one()
    loaded = uow.session.identity_map.get(identity_key(LookupFailure, key))
    if loaded is not None:  # read earlier in this session: it would show the old count
        uow.session.expire(loaded)
    return count, start


def purge(session: Session, before: datetime, prefix: str = "", keep: str | None = None) -> int:
    """Delete the counters (under `prefix`, but not under `keep`) whose window opened before `before`: a guesser
    leaves a row per made-up username or code, and an ended window counts for nothing."""
    stmt = delete(LookupFailure).where(LookupFailure.window_start < before, LookupFailure.key.startswith(prefix))
    if keep:
        stmt = stmt.where(~LookupFailure.key.startswith(keep))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def within_window(uow: UnitOfWork, key: str, window: timedelta, now: datetime) -> bool:
    """Whether the key counted an event in a window that has not ended yet."""
    row = uow.session.get(LookupFailure, key[:KEY_MAX])
    return row is not None and now - row.window_start < window


def forget(uow: UnitOfWork, key: str) -> None:
    """Drop the key's counter (e.g. the failures of an account and address after a successful sign-in)."""
    key = key[:KEY_MAX]
    uow.session.execute(delete(LookupFailure).where(LookupFailure.key == key))
    loaded = uow.session.identity_map.get(identity_key(LookupFailure, key))
    if loaded is not None:
        uow.session.expunge(loaded)
