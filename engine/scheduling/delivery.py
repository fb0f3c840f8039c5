"""Delivering the outbox: e-mail over SMTP, SMS through the SMS connector (handed in as a function: the engine
knows no connector) and a generic JSON webhook, with retries and backoff.

A message is leased before it is sent (its next attempt moved a few minutes ahead in a committed
compare-and-set), so two deliverers never send it at once, and a deliverer that dies mid-way only delays
it. Failures are recorded and retried with exponential backoff; after `MAX_ATTEMPTS` the message is marked
failed and kept. Delivery is at least once.
"""

from __future__ import annotations

import smtplib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import orjson
from sqlalchemy import select, update

from engine.store.uow import UnitOfWork

from .models import OutboxMessage

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Channels:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "motcua@localhost"
    timeout: float = 10.0
    sms: Callable[[str, str], None] | None = None  # send(phone, text); raises when the gateway refuses


WIPED = "(đã xoá sau khi gửi)"  # what is left of a sent message whose body carried a secret (a new PIN)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _send(message: OutboxMessage, channels: Channels) -> None:
    if message.channel == "email":
        if not channels.smtp_host:
            raise RuntimeError("no SMTP server configured (MOTCUA_SMTP_HOST)")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = channels.smtp_sender, message.address, message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=channels.timeout) as smtp:
            smtp.send_message(mail)
    elif message.channel == "sms":
        if channels.sms is None:
            raise RuntimeError("no SMS gateway configured (MOTCUA_SMS_URL)")
        channels.sms(message.address or "", message.body)
    elif message.channel == "webhook":
        body = orjson.dumps({"subject": message.subject, "body": message.body, **message.payload})
        request = urllib.request.Request(message.address or "", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=channels.timeout) as response:
            if response.status >= 300:
                raise RuntimeError(f"webhook answered {response.status}")
    else:
        raise RuntimeError(f"unknown channel {message.channel}")


def deliver(uow: UnitOfWork, channels: Channels, limit: int = 100) -> tuple[int, int, float]:
    """Send what is due; returns (sent, failed attempts, max lag in seconds)."""
    session, now = uow.session, uow.clock()
    due = list(session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending",
                                                           OutboxMessage.next_attempt_at <= now)
                               .order_by(OutboxMessage.next_attempt_at).limit(limit)))
    leased: list[tuple[int, datetime]] = []
    for message in due:
        taken = session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message.id, OutboxMessage.state == "pending",
            OutboxMessage.next_attempt_at == message.next_attempt_at).values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            leased.append((message.id, message.next_attempt_at))
    session.commit()
    sent = failed = 0
    max_lag = 0.0
    for message_id, due_at in leased:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        try:
            _send(message, channels)
        except Exception as exc:  # any failure of the far side: record it and retry later
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = "failed"
            else:
                message.next_attempt_at = uow.clock() + backoff(message.attempts)
            failed += 1
        else:
            message.attempts += 1
            message.state, message.sent_at, message.last_error = "sent", uow.clock(), None
            if (message.payload or {}).get("wipe"):
                message.body = WIPED
            sent += 1
            max_lag = max(max_lag, (message.sent_at - due_at).total_seconds())
        session.commit()
    return sent, failed, max_lag
