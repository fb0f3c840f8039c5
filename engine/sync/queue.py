"""Queueing portal messages: a unit-of-work observer (engine/store/uow.py) that, for each dossier an audit entry
of the transaction names, adds ONE message to the portal outbox in that same transaction, built from the dossier
as it will be committed. A message exists if and only if the change was committed, and the areas that make the
changes know nothing of the portal (as with the citizens' messages, engine/scheduling/citizen_messages.py).

Re-sending is one more audited change (`portal_resent`): the observer queues a fresh message with the dossier's
current state, after every earlier one, so an old snapshot is never pushed again out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select

from engine.dossiers.models import Dossier
from engine.store.uow import UnitOfWork

from .models import PortalMessage
from .payload import ResultLink, build, excluded_actions

RESENT = "portal_resent"


def _latest_entries(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The last entry of each dossier the transaction changed (insertion order: first change first)."""
    skip = excluded_actions()
    latest: dict[int, dict[str, Any]] = {}
    for entry in entries:
        dossier_id = entry.get("dossier_id")
        if dossier_id is not None and entry["action"] not in skip:
            latest.pop(dossier_id, None)
            latest[dossier_id] = entry
    return latest


def queue_message(uow: UnitOfWork, dossier: Dossier, entry: dict[str, Any], now: datetime,
                  public_url: str = "", result_link: ResultLink | None = None) -> PortalMessage:
    sent_before = uow.session.scalar(select(exists().where(PortalMessage.dossier_id == dossier.id)))
    payload = build(uow, dossier, entry, bool(sent_before), public_url, result_link)
    message = PortalMessage(dossier_id=dossier.id, payload=payload,
                            action=entry["action"], state="pending", attempts=0, next_attempt_at=now,
                            created_at=now)
    uow.session.add(message)
    return message


@dataclass(frozen=True)
class PortalSync:
    """The unit-of-work observer; the runtime adds it unless MOTCUA_PORTAL_SYNC=0, with the site's public address
    (the result's link is absolute) and how to find the issued result's link."""

    public_url: str = ""
    result_link: ResultLink | None = None  # the issued result's path (engine/verification/issued.py)

    def __call__(self, uow: UnitOfWork, entries: list[dict[str, Any]]) -> None:
        for dossier_id, entry in _latest_entries(entries).items():
            dossier = uow.session.get(Dossier, dossier_id)
            if dossier is not None:
                queue_message(uow, dossier, entry, entry["at"], self.public_url, self.result_link)
