"""The audit trail: every state change appends an entry in the same transaction, chained by hash.

Entries are collected by the unit of work and sealed just before its commit: one UPDATE of the chain's head
row (`... RETURNING`) reserves their positions and yields the previous hash while holding that row's lock,
so concurrent transactions chain one after the other instead of forking. Sealing last keeps the lock short.
`verify` recomputes the chain; any edited, removed or reordered entry breaks it from that point on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .models import GENESIS, AuditEntry, AuditHead

HASHED_FIELDS = ("seq", "at", "actor_id", "actor_unit", "action", "entity", "entity_id", "dossier_id",
                 "task_id", "step", "before", "after", "detail", "prev_hash")


def entry_hash(values: dict[str, Any]) -> str:
    """SHA-256 over the entry's content in canonical JSON (sorted keys, UTC timestamps)."""
    canonical = {k: values.get(k) for k in HASHED_FIELDS}
    at = canonical["at"]
    if isinstance(at, datetime):
        canonical["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


_HEAD, _LOG = AuditHead.__table__, AuditEntry.__table__
# Core statements built once: sealing runs in every writing request.
_RESERVE = (_HEAD.update().where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + bindparam("n"))
            .returning(_HEAD.c.seq, _HEAD.c.hash))
_ADVANCE = _HEAD.update().where(_HEAD.c.id == 1).values(hash=bindparam("new_hash"))
_INSERT = _LOG.insert()
# PostgreSQL: `WITH sealed AS (INSERT the entry) UPDATE the head's hash`, the common case of one entry.
_INSERT_AND_ADVANCE = _ADVANCE.add_cte(
    _LOG.insert().values({name: bindparam(f"e_{name}") for name in (*HASHED_FIELDS, "hash")}).cte("sealed"))


def reservation(entries: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The statement that reserves the entries' positions and returns (last position, previous hash), taking
    the head's lock: the caller runs it after its other writes (`store.flush` sends it with them)."""
    return _RESERVE, {"n": len(entries)}


def seal(session: Session, entries: list[dict[str, Any]], reserved: tuple[int, str] | None = None) -> None:
    """Give pending entries their chain positions and hashes, and insert them, in the caller's transaction.
    `reserved` is what `reservation`'s statement returned, when the caller ran it already."""
    if not entries:
        return
    conn = session.connection()
    if reserved is None:
        reserved = tuple(conn.execute(_RESERVE, {"n": len(entries)}).one())  # type: ignore[assignment]
    last_seq, prev = reserved
    seq = last_seq - len(entries)
    for entry in entries:
        seq += 1
        entry["seq"], entry["prev_hash"] = seq, prev
        entry["hash"] = prev = entry_hash(entry)
    if conn.dialect.name == "postgresql" and len(entries) == 1:  # one round trip: the entry and the new head
        conn.execute(_INSERT_AND_ADVANCE, {"new_hash": prev, **{f"e_{k}": v for k, v in entries[0].items()}})
    else:
        conn.execute(_INSERT, entries)
        conn.execute(_ADVANCE, {"new_hash": prev})


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain in order; report the first entry whose hash or link does not hold."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry in _entries(session, batch):
        values = {k: getattr(entry, k) for k in HASHED_FIELDS}
        if entry.seq != expected_seq:
            return Verification(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.seq, "the link to the previous entry is broken")
        if entry_hash(values) != entry.hash:
            return Verification(False, checked, entry.seq, "the entry's content does not match its hash")
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev:
        return Verification(False, checked, checked + 1, "entries after the last one were removed")
    return Verification(True, checked)


def _entries(session: Session, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.seq > after)
                                    .order_by(AuditEntry.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()
