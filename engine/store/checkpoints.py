"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint says: at time T the chain reached entry N, whose hash was H, and the entries up to L were the
plain SHA-256 ones written before the chain was keyed. It is signed (HMAC-SHA256) with a key derived from
`MOTCUA_AUDIT_KEY`, so only a holder of the key can make one, and it is appended to a file (one JSON object a
line, `MOTCUA_AUDIT_CHECKPOINT_FILE`) and sent to the webhook by the scheduler's job: places whoever controls
the database does not control. Verifying against them detects a chain rewritten or cut short behind the
newest checkpoint. Entries written after it are protected by the key alone: an edit or a removal in the middle
is detected, the removal of the newest ones (with the head moved back) is not, until the next checkpoint.

A checkpoint is only taken of a chain that verifies from the previous checkpoint on, so it never vouches for
tampered entries.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from .audit import AuditKeys, Verification, verify


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    legacy_until: int
    signature: str = ""

    def payload(self) -> bytes:
        return orjson.dumps({"seq": self.seq, "hash": self.hash, "legacy_until": self.legacy_until,
                             "at": self.at.astimezone(UTC).isoformat(timespec="microseconds")},
                            option=orjson.OPT_SORT_KEYS)

    def signed(self, keys: AuditKeys) -> Checkpoint:
        return replace(self, signature=hmac.new(keys.checkpoints, self.payload(), hashlib.sha256).hexdigest())

    def is_signed_by(self, keys: AuditKeys) -> bool:
        return hmac.compare_digest(self.signed(keys).signature, self.signature)

    def as_dict(self) -> dict[str, Any]:
        return {**orjson.loads(self.payload()), "signature": self.signature}

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """Raises ValueError for anything that is not a checkpoint."""
        try:
            checkpoint = cls(int(data["seq"]), str(data["hash"]), datetime.fromisoformat(data["at"]),
                             int(data["legacy_until"]), str(data["signature"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from None
        if checkpoint.at.tzinfo is None:
            raise ValueError("not a checkpoint: its time has no zone")
        return checkpoint


@dataclass(frozen=True)
class CheckpointFile:
    checkpoints: list[Checkpoint] = field(default_factory=list)  # signed with the key, in file order
    rejected: list[int] = field(default_factory=list)  # line numbers that are not checkpoints signed with it

    @property
    def last(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.seq, default=None)


def read_checkpoints(path: Path, keys: AuditKeys) -> CheckpointFile:
    """The file's checkpoints; a missing file has none."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return CheckpointFile()
    found = CheckpointFile()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            checkpoint = Checkpoint.from_dict(orjson.loads(line))
        except (ValueError, orjson.JSONDecodeError):
            found.rejected.append(number)
            continue
        if checkpoint.is_signed_by(keys):
            found.checkpoints.append(checkpoint)
        else:
            found.rejected.append(number)
    return found


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """One line, written and synced before the caller goes on: a checkpoint lost in a crash is no use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, orjson.dumps(checkpoint.as_dict()) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def take_checkpoint(session: Session, keys: AuditKeys, path: Path, now: datetime
                    ) -> tuple[Verification, Checkpoint | None]:
    """Verify the chain from the last checkpoint on and, if it holds and has grown (or no checkpoint exists
    yet), sign and append a checkpoint of its last entry. Returns the verification and the new checkpoint."""
    last = read_checkpoints(path, keys).last
    result = verify(session, keys, [last] if last else [], start=last)
    if not result.ok or (last is not None and result.checked <= last.seq):
        return result, None
    checkpoint = Checkpoint(result.checked, result.last_hash, now.astimezone(UTC), result.legacy_until).signed(keys)
    append_checkpoint(path, checkpoint)
    return result, checkpoint


def verify_trail(session: Session, keys: AuditKeys, path: Path) -> Verification:
    """The whole chain, with the key and against every checkpoint in the file. A line of the file that is not
    a checkpoint signed with the key is reported too: the file was tampered with, or the key changed."""
    found = read_checkpoints(path, keys)
    if found.rejected:
        lines = ", ".join(map(str, found.rejected[:5]))
        return Verification(False, 0, None, f"line(s) {lines} of {path} are not checkpoints signed with the "
                            "audit key: the file was altered, or MOTCUA_AUDIT_KEY changed", "checkpoint-forged")
    return verify(session, keys, found.checkpoints)
