"""Exporting the audit chain's signed checkpoints outside the database (`store/checkpoints.py`): appended to
the checkpoint file and, when a webhook is configured, queued for it in the outbox, which the delivery job
sends after this transaction commits (never from inside a request)."""

from __future__ import annotations

import logging

from engine.store.audit import Verification
from engine.store.checkpoints import Checkpoint, take_checkpoint
from engine.store.uow import UnitOfWork

from .notifications import queue_webhook

log = logging.getLogger(__name__)


def export_checkpoint(uow: UnitOfWork, webhook_url: str | None) -> tuple[Verification, Checkpoint | None]:
    """Checkpoint the chain if it grew since the last checkpoint and verifies; a broken chain is logged and
    gets no checkpoint."""
    result, checkpoint = take_checkpoint(uow.session, uow.audit_keys, uow.checkpoint_file, uow.clock())
    if not result.ok:
        log.error("audit chain broken at entry %s (%s): %s; no checkpoint written", result.broken_at, result.code,
                  result.reason)
        return result, None
    if checkpoint is not None and webhook_url:
        queue_webhook(uow.session, webhook_url, f"Audit checkpoint {checkpoint.seq}",
                      f"The audit chain reached entry {checkpoint.seq} at {checkpoint.at.isoformat()}.",
                      {"kind": "audit-checkpoint", "checkpoint": checkpoint.as_dict()}, uow.clock())
        uow.session.commit()
    return result, checkpoint
