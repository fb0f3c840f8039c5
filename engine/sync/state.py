"""What officers see of the portal sync, and what leaders do about it.

- A dossier's sync state is its LATEST message's: `synced` (sent), `pending` (waiting or being retried, with
  the last error), `failed` (refused by the portal, with its reason), or `none` (nothing queued yet).
- Leaders list their units' dossiers by sync state, and re-send one or many: a FRESH message with the
  dossier's current state, queued after the others (never an old snapshot again), audited as `portal_resent`.
- The sync rate: of the dossiers changed in a period, the share whose latest message of the period reached the
  portal within the target time (MOTCUA_PORTAL_SYNC_TARGET_MINUTES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from engine.dossiers.models import Dossier
from engine.dossiers.service import find_dossier
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .delivery import retry_now
from .models import PortalMessage
from .queue import RESENT

STATES = ("synced", "pending", "failed", "none")
BY_MESSAGE_STATE = {"sent": "synced", "pending": "pending", "failed": "failed"}
LEADER = "leader"
MAX_RESEND = 200  # dossiers in one re-send


@dataclass(frozen=True)
class SyncState:
    code: str
    state: str  # STATES
    reason: str | None  # the portal's reason (failed), or the last error of a message being retried
    last_sent_at: datetime | None
    last_queued_at: datetime | None
    pending: int
    sent: int
    failed: int
    attempts: int  # of the latest message
    next_attempt_at: datetime | None  # of the latest message, while pending


def _counts(uow: UnitOfWork, dossier_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {i: {} for i in dossier_ids}
    rows = uow.session.execute(select(PortalMessage.dossier_id, PortalMessage.state, func.count())
                               .where(PortalMessage.dossier_id.in_(dossier_ids))
                               .group_by(PortalMessage.dossier_id, PortalMessage.state))
    for dossier_id, state, count in rows:
        found[dossier_id][state] = count
    return found


def _latest_ids():  # type: ignore[no-untyped-def]
    return select(func.max(PortalMessage.id).label("id")).group_by(PortalMessage.dossier_id).subquery()


def states_of(uow: UnitOfWork, dossiers: list[Dossier]) -> list[SyncState]:
    ids = [d.id for d in dossiers]
    counts = _counts(uow, ids)
    newest = select(func.max(PortalMessage.id)).where(PortalMessage.dossier_id.in_(ids)) \
        .group_by(PortalMessage.dossier_id).scalar_subquery()
    latest = {m.dossier_id: m for m in uow.session.scalars(
        select(PortalMessage).where(PortalMessage.id.in_(newest)))} if ids else {}
    last_sent = dict(uow.session.execute(
        select(PortalMessage.dossier_id, func.max(PortalMessage.sent_at)).where(PortalMessage.dossier_id.in_(ids))
        .group_by(PortalMessage.dossier_id)).all()) if ids else {}
    found = []
    for dossier in dossiers:
        message, count = latest.get(dossier.id), counts.get(dossier.id, {})
        state = BY_MESSAGE_STATE[message.state] if message is not None else "none"
        found.append(SyncState(
            dossier.code, state, message.last_error if message is not None else None, last_sent.get(dossier.id),
            message.created_at if message is not None else None, count.get("pending", 0), count.get("sent", 0),
            count.get("failed", 0), message.attempts if message is not None else 0,
            message.next_attempt_at if message is not None and state == "pending" else None))
    return found


def sync_state(uow: UnitOfWork, actor: Actor, code: str) -> SyncState:
    """A dossier's sync state, for whoever may see the dossier (404 otherwise)."""
    return states_of(uow, [find_dossier(uow.session, actor, code)])[0]


def leader_units(actor: Actor) -> frozenset[str]:
    return frozenset(actor.scope.get(LEADER, ()))


def may_resend(actor: Actor, dossier: Dossier) -> bool:
    return any(actor.has_role(LEADER, unit) for unit in (dossier.reception_unit, dossier.competent_unit) if unit)


def listing(uow: UnitOfWork, actor: Actor, states: tuple[str, ...] = ("failed", "pending"), limit: int = 200
            ) -> list[tuple[Dossier, SyncState]]:
    """The dossiers of the actor's units (as a leader) whose latest message is in one of `states`, oldest
    queued first."""
    units = leader_units(actor)
    if not units:
        raise Forbidden("only leaders see the portal sync of their units")
    wanted = [m for m, s in BY_MESSAGE_STATE.items() if s in states]
    latest = _latest_ids()
    rows = uow.session.execute(
        select(Dossier, PortalMessage).join(PortalMessage, PortalMessage.dossier_id == Dossier.id)
        .join(latest, PortalMessage.id == latest.c.id)
        .where(PortalMessage.state.in_(wanted),
               or_(Dossier.reception_unit.in_(units), Dossier.competent_unit.in_(units)))
        .order_by(PortalMessage.id).limit(limit)).all()
    dossiers = [d for d, _ in rows]
    return list(zip(dossiers, states_of(uow, dossiers), strict=True))


def resend(uow: UnitOfWork, actor: Actor | None, codes: list[str]) -> list[str]:
    """Queue a fresh message with each dossier's current state (a leader of its units; `actor` None: the
    system, from the command line); the waiting ones become due now. Commits; returns the codes."""
    codes = list(dict.fromkeys(c for c in codes if isinstance(c, str) and c.strip()))
    if not codes or len(codes) > MAX_RESEND:
        raise ValidationFailed("name the dossiers to re-send",
                               {"codes": [f"Between 1 and {MAX_RESEND} dossier codes."]})
    dossiers = []
    for code in codes:
        if actor is None:
            dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).first()
            if dossier is None:
                raise NotFound(f"dossier {code} does not exist")
        else:
            dossier = find_dossier(uow.session, actor, code)
            if not may_resend(actor, dossier):
                raise Forbidden("only a leader of the dossier's unit re-sends it to the portal")
        dossiers.append(dossier)
    now = uow.clock()
    retry_now(uow, [d.id for d in dossiers])
    for dossier in dossiers:
        # the observer (queue.py) queues the fresh message for this audited change
        unit = next((u for u in (dossier.reception_unit, dossier.competent_unit)
                     if actor is not None and actor.has_role(LEADER, u)), dossier.competent_unit)
        uow.record(actor, RESENT, "dossier", dossier.code, unit=unit, dossier_id=dossier.id, at=now,
                   detail={"by": actor.username if actor else "system"})
    uow.commit()
    return [d.code for d in dossiers]


def select_for_resync(uow: UnitOfWork, *, failed_only: bool = False, since: datetime | None = None) -> list[str]:
    """Codes for `motcua portal resync`: dossiers whose latest message failed (--failed), or changed since a
    date (--since), or both."""
    latest = _latest_ids()
    query = select(Dossier.code).join(PortalMessage, PortalMessage.dossier_id == Dossier.id) \
        .join(latest, PortalMessage.id == latest.c.id)
    if failed_only:
        query = query.where(PortalMessage.state == "failed")
    if since is not None:
        query = query.where(Dossier.updated_at >= since)
    return list(uow.session.scalars(query.order_by(Dossier.id)))


@dataclass(frozen=True)
class SyncRate:
    changed: int  # dossiers with a message queued in the period
    on_time: int  # ... whose latest such message reached the portal within the target
    target_minutes: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.changed if self.changed else None

    @property
    def percentage(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


def sync_rate(uow: UnitOfWork, start: datetime, end: datetime, target_minutes: int,
              units: frozenset[str] | None = None) -> SyncRate:
    """Of the dossiers changed in [start, end) (of `units`, when given), the share whose latest message of the
    period was acknowledged by the portal within `target_minutes` of being queued."""
    latest = select(func.max(PortalMessage.id).label("id")).where(
        PortalMessage.created_at >= start, PortalMessage.created_at < end).group_by(PortalMessage.dossier_id)
    if units is not None:
        latest = latest.join(Dossier, Dossier.id == PortalMessage.dossier_id).where(
            or_(Dossier.reception_unit.in_(units), Dossier.competent_unit.in_(units)))
    sub = latest.subquery()
    rows = uow.session.execute(select(PortalMessage.state, PortalMessage.created_at, PortalMessage.sent_at)
                               .join(sub, PortalMessage.id == sub.c.id)).all()
    target = timedelta(minutes=target_minutes)
    on_time = sum(1 for state, created, sent in rows
                  if state == "sent" and sent is not None and sent - created <= target)
    return SyncRate(len(rows), on_time, target_minutes)


def recent_rate(uow: UnitOfWork, days: int, target_minutes: int, units: frozenset[str] | None = None) -> SyncRate:
    """The sync rate of the last `days` up to and including now."""
    now = uow.clock()
    return sync_rate(uow, now - timedelta(days=days), now + timedelta(microseconds=1), target_minutes, units)
