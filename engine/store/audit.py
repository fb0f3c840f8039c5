"""The audit trail: every state change appends an entry in the same transaction, chained by a keyed hash.

Entries are collected by the unit of work and sealed just before its commit: one UPDATE of the chain's head
row (`... RETURNING`) reserves their positions and yields the previous hash while holding that row's lock,
so concurrent transactions chain one after the other instead of forking. Sealing last keeps the lock short.

Each entry's hash is HMAC-SHA256, under a key derived from `MOTCUA_AUDIT_KEY`, of its canonical JSON, which
includes the previous entry's hash. The database does not hold the key, so whoever can write to the database
can still edit, delete or renumber rows, but cannot compute the hashes that would make the result verify:
re-chaining with plain SHA-256 breaks at the first rewritten entry. Entries written before the key existed
(up to `audit_head.legacy_until`, set by migration 0012) keep their plain SHA-256 hashes and still verify; the
first keyed entry covers the last of them through its `prev_hash`.

What the key cannot show is a chain cut short: delete the newest entries, move the head back, and what is
left is consistent. Signed checkpoints kept outside the database (`checkpoints.py`) record how far the chain
had grown, and the boundary between the two schemes, so `verify` also detects truncation behind the last
checkpoint and a boundary moved to pass rewritten entries off as old ones.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .models import GENESIS, AuditEntry, AuditHead

if TYPE_CHECKING:
    from .checkpoints import Checkpoint

HASHED_FIELDS = ("seq", "at", "actor_id", "actor_unit", "action", "entity", "entity_id", "dossier_id",
                 "task_id", "step", "before", "after", "detail", "prev_hash")


@dataclass(frozen=True)
class AuditKeys:
    """Keys derived from the one secret: one chains the entries, the other signs checkpoints, so that
    neither can stand in for the other."""

    entries: bytes
    checkpoints: bytes

    @classmethod
    def derive(cls, secret: str) -> AuditKeys:
        root = secret.encode()
        return cls(hmac.new(root, b"motcua audit entries v1", hashlib.sha256).digest(),
                   hmac.new(root, b"motcua audit checkpoints v1", hashlib.sha256).digest())


def canonical(values: dict[str, Any]) -> bytes:
    """The entry's content as canonical JSON (sorted keys, UTC timestamps)."""
    content = {k: values.get(k) for k in HASHED_FIELDS}
    at = content["at"]
    if isinstance(at, datetime):
        content["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=str)


def entry_hash(values: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 of the entry under `key`; without a key, the plain SHA-256 of entries written before
    the chain was keyed (migration 0003 computes those)."""
    if key is None:
        return hashlib.sha256(canonical(values)).hexdigest()
    return hmac.new(key, canonical(values), hashlib.sha256).hexdigest()  # ~3 µs more than the plain hash


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


def seal(session: Session, entries: list[dict[str, Any]], keys: AuditKeys,
         reserved: tuple[int, str] | None = None) -> None:
    """Give pending entries their chain positions and keyed hashes, and insert them, in the caller's
    transaction. `reserved` is what `reservation`'s statement returned, when the caller ran it already."""
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
        entry["hash"] = prev = entry_hash(entry, keys.entries)
    if conn.dialect.name == "postgresql" and len(entries) == 1:  # one round trip: the entry and the new head
        conn.execute(_INSERT_AND_ADVANCE, {"new_hash": prev, **{f"e_{k}": v for k, v in entries[0].items()}})
    else:
        conn.execute(_INSERT, entries)
        conn.execute(_ADVANCE, {"new_hash": prev})


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # entries found intact (when broken: before `broken_at`)
    broken_at: int | None = None
    reason: str = ""
    code: str = ""  # what broke, for machines: missing-entry, broken-link, hash-mismatch, truncated, ...
    checkpoints: int = 0  # checkpoints the chain was found to match
    last_checkpoint: int | None = None  # the newest checkpoint's position
    legacy_until: int = 0  # entries up to here are hashed with plain SHA-256 (written before the key)
    last_hash: str = GENESIS

    @staticmethod
    def broken(checked: int, at: int, code: str, reason: str, **extra: Any) -> Verification:
        return Verification(False, checked, at, reason, code, **extra)


def verify(session: Session, keys: AuditKeys, checkpoints: Sequence[Checkpoint] = (), *,
           start: Checkpoint | None = None, batch: int = 5000) -> Verification:
    """Walk the chain in order up to the head as it is now; report the first entry whose hash or link does
    not hold, a checkpoint it does not match, or a chain shorter than a checkpoint says it was.

    `checkpoints` must be signed with `keys` (`checkpoints.verify_trail` reads and checks them); `start`, one of
    them, skips the entries it covers (the checkpoint job checks only what is new since the last one)."""
    head = session.get(AuditHead, 1)  # first: entries committed after this read are not expected yet
    if head is None:
        return Verification.broken(0, 1, "no-head", "the chain's head row is missing")
    head_seq, head_hash, legacy_until = head.seq, head.hash, head.legacy_until
    extra = {"legacy_until": legacy_until}
    boundaries = sorted({cp.legacy_until for cp in checkpoints} - {legacy_until})
    if boundaries:
        at = min(legacy_until, *boundaries) + 1
        return Verification.broken(at - 1, at, "boundary-moved", f"the chain says entries up to {legacy_until} "
                                   f"predate the key; the checkpoints say {boundaries[0]}", **extra)
    expected = {cp.seq: cp for cp in checkpoints}
    newest = max(expected, default=None)
    prev, seq, matched = GENESIS, 1, 0
    if 0 in expected:  # a checkpoint of the empty chain (the first one, on a fresh database)
        if expected[0].hash != GENESIS:
            return Verification.broken(0, 1, "checkpoint-mismatch", "a checkpoint of the empty chain has a hash",
                                       **extra)
        matched += 1
    if start is not None:
        if start.seq > head_seq:
            return _truncated(start, head_seq, legacy_until)
        anchor = GENESIS if start.seq == 0 else session.scalar(select(AuditEntry.hash)
                                                                 .where(AuditEntry.seq == start.seq))
        if anchor != start.hash:
            return Verification.broken(start.seq - 1, start.seq, "checkpoint-mismatch",
                                       f"entry {start.seq} differs from the checkpoint of {start.at.isoformat()}",
                                       **extra)
        prev, seq = start.hash, start.seq + 1
    for entry in _entries(session, seq - 1, head_seq, batch):
        if entry.seq != seq:
            return Verification.broken(seq - 1, seq, "missing-entry", f"entry {seq} is missing", **extra)
        if entry.prev_hash != prev:
            return Verification.broken(seq - 1, seq, "broken-link", "the link to the previous entry is broken",
                                       **extra)
        values = {k: getattr(entry, k) for k in HASHED_FIELDS}
        if entry_hash(values, None if seq <= legacy_until else keys.entries) != entry.hash:
            return Verification.broken(seq - 1, seq, "hash-mismatch", "the entry's content does not match its hash",
                                       **extra)
        checkpoint = expected.get(seq)
        if checkpoint is not None:
            if checkpoint.hash != entry.hash:
                return Verification.broken(seq - 1, seq, "checkpoint-mismatch",
                                           f"entry {seq} differs from the checkpoint of {checkpoint.at.isoformat()}",
                                           **extra)
            matched += 1
        prev, seq = entry.hash, seq + 1
    last = seq - 1
    if newest is not None and newest > last:
        return _truncated(expected[newest], last, legacy_until)
    if last != head_seq or prev != head_hash:
        return Verification.broken(last, last + 1, "truncated", "entries after the last one were removed", **extra)
    return Verification(True, last, checkpoints=matched, last_checkpoint=newest, last_hash=prev, **extra)


def _truncated(checkpoint: Checkpoint, found: int, legacy_until: int) -> Verification:
    return Verification.broken(found, found + 1, "truncated",
                               f"the chain ends at entry {found}, but the checkpoint of {checkpoint.at.isoformat()} "
                               f"saw it reach {checkpoint.seq}: entries were removed", legacy_until=legacy_until)


def _entries(session: Session, after: int, until: int, batch: int) -> Iterator[AuditEntry]:
    while True:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.seq > after, AuditEntry.seq <= until)
                                    .order_by(AuditEntry.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()
