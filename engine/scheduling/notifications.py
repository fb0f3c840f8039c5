"""Notifications go through an outbox: rows written in the same transaction as the change they report.

In-app notifications are readable at once; e-mail and webhook messages wait for the delivery job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.people.actors import Actor
from engine.people.models import Membership, User

from .models import OutboxMessage


def officers_with_role(session: Session, units: Iterable[str | None], role: str) -> list[User]:
    wanted = [u for u in units if u]
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.active.is_(True), User.id.in_(
        select(Membership.user_id).where(Membership.unit_code.in_(wanted), Membership.role_code == role)))
        .order_by(User.id)))


def notify(session: Session, recipients: Iterable[User], subject: str, body: str, payload: dict[str, Any],
           now: datetime, webhook_url: str | None = None) -> int:
    count = 0
    for user in {u.id: u for u in recipients}.values():
        session.add(OutboxMessage(channel="inapp", recipient_id=user.id, subject=subject, body=body, payload=payload,
                                  state="sent", attempts=0, next_attempt_at=now, created_at=now, sent_at=now))
        count += 1
        if user.email:
            session.add(OutboxMessage(channel="email", recipient_id=user.id, address=user.email, subject=subject,
                                      body=body, payload=payload, state="pending", attempts=0, next_attempt_at=now,
                                      created_at=now))
    if webhook_url:
        queue_webhook(session, webhook_url, subject, body, payload, now)
    return count


def queue_webhook(session: Session, url: str, subject: str, body: str, payload: dict[str, Any], now: datetime) -> None:
    """A message for the webhook, sent by the delivery job after the caller's transaction commits."""
    session.add(OutboxMessage(channel="webhook", address=url, subject=subject, body=body, payload=payload,
                              state="pending", attempts=0, next_attempt_at=now, created_at=now))


def my_notifications(session: Session, actor: Actor, unread_only: bool, limit: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.channel == "inapp", OutboxMessage.recipient_id == actor.user_id)
    if unread_only:
        query = query.where(OutboxMessage.read_at.is_(None))
    return list(session.scalars(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)))


def mark_read(session: Session, actor: Actor, message_id: int, now: datetime) -> None:
    result = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.channel == "inapp", OutboxMessage.recipient_id == actor.user_id)
        .values(read_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotFound(f"notification {message_id} does not exist")


def unread_count(session: Session, actor: Actor) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.channel == "inapp", OutboxMessage.recipient_id == actor.user_id,
        OutboxMessage.read_at.is_(None))) or 0


def mark_all_read(session: Session, actor: Actor, now: datetime) -> int:
    result = session.execute(update(OutboxMessage).where(
        OutboxMessage.channel == "inapp", OutboxMessage.recipient_id == actor.user_id,
        OutboxMessage.read_at.is_(None)).values(read_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0
