"""Delivering the portal outbox, in order per dossier (the scheduler's "portal" job).

- Ordered: a message is sent only when every earlier message of its dossier is sent or failed, so an older
  state never overwrites a newer one at the portal. Each run takes the due head of each dossier, sends it, and
  takes the next heads, until nothing is due or `limit` messages were tried.
- Leased: a message is taken by a committed compare-and-set on `leased_until` before it is sent, so two
  deliverers never send one message at once; a deliverer that dies mid-way only delays it by the lease.
- A non-permanent error (the portal unreachable, slow, 5xx, the session refused) is retried with exponential
  backoff, capped, and NEVER given up: after an outage of hours the backlog drains in order. The run stops at the
  first such error (the portal is down: it is not hammered with the rest of the batch), and what it had leased
  waits until that message's retry.
- A permanent error (the portal refused the data) marks the message failed with the portal's reason; the
  dossier's later messages still go, and a leader can re-send a fresh one (state.py).

The push function is the connector's (handed in by the entry point); the engine reads only the exception's
`permanent` attribute and its text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from engine.store.uow import UnitOfWork

from .models import PortalMessage

LEASE = timedelta(minutes=5)
FIRST_RETRY = 5.0  # seconds; doubled at each failure up to the cap
BATCH = 50  # messages leased at once: sent well within the lease even when the portal is slow
Push = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Delivered:
    sent: int = 0
    failed: int = 0  # refused for good by the portal
    retrying: int = 0  # attempts that will be retried
    max_lag_seconds: float = 0.0


def backoff(attempts: int, cap_seconds: float) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY * 2 ** min(attempts - 1, 30), cap_seconds))


def _heads(uow: UnitOfWork, now: datetime, limit: int) -> list[PortalMessage]:
    """Due messages with no earlier pending message of their dossier, not leased by another deliverer."""
    earlier = aliased(PortalMessage)
    blocked = select(earlier.id).where(earlier.dossier_id == PortalMessage.dossier_id, earlier.id < PortalMessage.id,
                                       earlier.state == "pending").exists()
    return list(uow.session.scalars(
        select(PortalMessage).where(PortalMessage.state == "pending", PortalMessage.next_attempt_at <= now,
                                    or_(PortalMessage.leased_until.is_(None), PortalMessage.leased_until <= now),
                                    ~blocked)
        .order_by(PortalMessage.id).limit(limit)))


def _lease(uow: UnitOfWork, messages: list[PortalMessage], now: datetime) -> list[int]:
    taken = []
    for message in messages:
        result = uow.session.execute(update(PortalMessage).where(
            PortalMessage.id == message.id, PortalMessage.state == "pending",
            or_(PortalMessage.leased_until.is_(None), PortalMessage.leased_until <= now))
            .values(leased_until=now + LEASE).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            taken.append(message.id)
    uow.session.commit()  # the lease is visible to every other deliverer before anything is sent
    return taken


def _release(uow: UnitOfWork, ids: list[int], until: datetime) -> None:
    """Leased messages not tried (the portal is down): free them, due when the failed one is retried."""
    if ids:
        uow.session.execute(update(PortalMessage).where(PortalMessage.id.in_(ids), PortalMessage.state == "pending")
                            .values(leased_until=None, next_attempt_at=until)
                            .execution_options(synchronize_session=False))
        uow.session.commit()


def _known(uow: UnitOfWork, message: PortalMessage) -> bool:
    """Whether the portal holds the dossier already: an earlier message of it was sent. Decided when pushed, not
    when queued, so a dossier whose first message the portal refused is created by the next one."""
    return bool(uow.session.scalar(select(select(PortalMessage.id).where(
        PortalMessage.dossier_id == message.dossier_id, PortalMessage.id < message.id,
        PortalMessage.state == "sent").exists())))


def deliver(uow: UnitOfWork, push: Push | None, *, backoff_cap: float = 300.0, limit: int = 500) -> Delivered:
    """Send what is due, in order per dossier; returns what happened."""
    if push is None:  # no portal configured: the messages wait
        return Delivered()
    session = uow.session
    sent = failed = retrying = tried = 0
    max_lag = 0.0
    while tried < limit:
        now = uow.clock()
        leased = _lease(uow, _heads(uow, now, min(BATCH, limit - tried)), now)
        if not leased:
            break
        for index, message_id in enumerate(leased):
            message = session.get(PortalMessage, message_id)
            assert message is not None
            tried += 1
            try:
                push({**message.payload, "message_id": message.id, "updating": _known(uow, message)})
            except Exception as exc:  # the connector's PortalError, or anything the far side did
                message.attempts += 1
                message.last_error = str(exc)[:2000] or type(exc).__name__
                message.leased_until = None
                if getattr(exc, "permanent", False):
                    message.state = "failed"
                    failed += 1
                    session.commit()
                    continue
                message.next_attempt_at = uow.clock() + backoff(message.attempts, backoff_cap)
                retrying += 1
                session.commit()
                _release(uow, leased[index + 1:], message.next_attempt_at)
                return Delivered(sent, failed, retrying, max_lag)
            message.attempts += 1
            message.state, message.sent_at, message.leased_until, message.last_error = "sent", uow.clock(), None, None
            max_lag = max(max_lag, (message.sent_at - message.created_at).total_seconds())
            sent += 1
            session.commit()
    return Delivered(sent, failed, retrying, max_lag)


def retry_now(uow: UnitOfWork, dossier_ids: list[int] | None = None) -> int:
    """Waiting messages become due now (after an outage ended, without waiting for the backoff); a message being
    sent keeps its lease. Returns how many; the caller commits."""
    condition = [PortalMessage.state == "pending"]
    if dossier_ids is not None:
        condition.append(PortalMessage.dossier_id.in_(dossier_ids))
    result = uow.session.execute(update(PortalMessage).where(and_(*condition))
                                 .values(next_attempt_at=uow.clock()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
