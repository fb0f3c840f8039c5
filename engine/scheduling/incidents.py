"""Incidents: a step the scheduler could not run on a dossier, as Camunda keeps them.

When a timer's step fails (its procedure code raised, or went over a bound), the scheduler records an incident
instead of trying again every second: the dossier's timers wait, the other dossiers and jobs carry on. The
leaders of the dossier's units are told (in-app), and they and the designers and reform officers see the
incidents and retry a step once the procedure is fixed (for instance, after the dossier was migrated to a
corrected version): `timers.retry_incident`.

Incidents name the dossier, the element and what went wrong. An error's message may quote task data (a
script's `int(ten)` says which name it could not read), so those who see an incident only as the procedure's
designers read it with quoted values blanked out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from engine.dossiers.models import Dossier
from engine.errors import Forbidden, NotFound, ProcessError
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .models import Incident
from .notifications import notify, officers_with_role

VIEWER_ROLES = frozenset({"leader", "designer", "reform_officer", "admin"})
MESSAGE_CHARS = 2000
QUOTED = re.compile(r"""(['"“])(?:(?!\1).)*(\1|”)""", re.S)
OFFICER_ROLES = ("reception", "specialist", "leader")

# dossiers whose timers wait for a person (the timer job leaves them out)
HAS_OPEN_INCIDENT = exists().where(Incident.dossier_id == Dossier.id, Incident.resolved_at.is_(None))


def record_incident(uow: UnitOfWork, dossier_id: int, kind: str, error: ProcessError,
                    webhook_url: str | None = None) -> Incident | None:
    """Open an incident for the failed step (or count one more attempt on the open one), tell the leaders of
    the dossier's units, audit it and commit. The caller has rolled its failed work back."""
    session, now = uow.session, uow.clock()
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    incident = open_incident_of(uow, dossier_id)
    message = error.detail[:MESSAGE_CHARS]
    if incident is None:
        incident = Incident(dossier_id=dossier_id, procedure_code=dossier.procedure_code, kind=kind,
                            element_id=error.element, element_name=error.element_name, reason=error.reason,
                            message=message, opened_at=now, last_attempt_at=now, attempts=1)
        session.add(incident)
        session.flush()
        where = f" ({error.element_name or error.element})" if error.element else ""
        notify(session, officers_with_role(session, [dossier.reception_unit, dossier.competent_unit], "leader"),
               f"Sự cố hồ sơ {dossier.code}: bước tự động không chạy được",
               f"Bước tự động{where} của hồ sơ {dossier.code} không chạy được: {message[:300]}. Hồ sơ chờ "
               "cho đến khi thủ tục được sửa và có người chạy lại bước này.",
               {"kind": "incident", "dossier": dossier.code, "incident": incident.id}, now, webhook_url)
        action = "incident_opened"
    else:
        incident.attempts += 1
        incident.last_attempt_at, incident.reason, incident.message = now, error.reason, message
        incident.element_id, incident.element_name = error.element, error.element_name
        action = "incident_attempt_failed"
    uow.record(None, action, "dossier", dossier.code, dossier_id=dossier_id, at=now,
               detail={"incident": incident.id, "kind": kind, "element": error.element, "reason": error.reason,
                       "message": message[:500]})
    try:
        uow.commit()
    except IntegrityError:  # another scheduler opened it a moment ago: one incident is enough
        session.rollback()
        return None
    return incident


def open_incident_of(uow: UnitOfWork, dossier_id: int) -> Incident | None:
    return uow.session.scalars(select(Incident).where(Incident.dossier_id == dossier_id,
                                                      Incident.resolved_at.is_(None))).first()


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    dossier_code: str
    dossier_status: str
    message: str  # the incident's, with quoted values blanked for those outside the dossier's units


def _view(actor: Actor, incident: Incident, code: str, status: str, units: tuple[str | None, ...]) -> IncidentView:
    officer_units = frozenset().union(*(actor.scope.get(role, frozenset()) for role in OFFICER_ROLES))
    message = incident.message if officer_units & set(units) else QUOTED.sub(r"\1…\2", incident.message)
    return IncidentView(incident, code, status, message)


def _require_viewer(actor: Actor) -> None:
    if not (actor.works_on_procedures or "leader" in actor.roles):
        raise Forbidden("incidents are for leaders, designers, reform officers and the organisation's "
                        "administrators")


def _scoped(actor: Actor, query):  # type: ignore[no-untyped-def]
    """Those who work on procedures see every incident (quoted values blanked); leaders, their units'."""
    if actor.works_on_procedures:
        return query
    units = sorted(actor.scope.get("leader", ()))
    return query.where(or_(Dossier.reception_unit.in_(units), Dossier.competent_unit.in_(units)))


def list_incidents(uow: UnitOfWork, actor: Actor, state: str = "open", procedure: str | None = None,
                   dossier: str | None = None, limit: int = 200) -> list[IncidentView]:
    """Incidents the actor may see, newest first: `state` is open, resolved or all."""
    _require_viewer(actor)
    query = _scoped(actor, select(Incident, Dossier.code, Dossier.status, Dossier.reception_unit,
                                  Dossier.competent_unit).join(Dossier, Dossier.id == Incident.dossier_id))
    if state == "open":
        query = query.where(Incident.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(Incident.resolved_at.is_not(None))
    if procedure:
        query = query.where(Incident.procedure_code == procedure)
    if dossier:
        query = query.where(Dossier.code == dossier)
    rows = uow.session.execute(query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit)).all()
    return [_view(actor, incident, code, status, (reception, competent))
            for incident, code, status, reception, competent in rows]


def find_incident(uow: UnitOfWork, actor: Actor, incident_id: int) -> IncidentView:
    _require_viewer(actor)
    row = uow.session.execute(_scoped(actor, select(Incident, Dossier.code, Dossier.status, Dossier.reception_unit,
                                                    Dossier.competent_unit)
                                      .join(Dossier, Dossier.id == Incident.dossier_id)
                                      .where(Incident.id == incident_id))).first()
    if row is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return _view(actor, row[0], row[1], row[2], (row[3], row[4]))


def resolve(uow: UnitOfWork, actor: Actor, incident: Incident, dossier: Dossier, now: datetime,
            note: str) -> None:
    incident.resolved_at, incident.resolved_by = now, actor.user_id
    uow.record(actor, "incident_resolved", "dossier", dossier.code, dossier_id=dossier.id, at=now,
               detail={"incident": incident.id, "attempts": incident.attempts, "note": note})


def note_failed_retry(uow: UnitOfWork, actor: Actor, incident_id: int, error: ProcessError) -> None:
    """A person's retry failed too: the incident stays open with the new attempt, audited; commits."""
    session, now = uow.session, uow.clock()
    session.rollback()
    incident = session.get(Incident, incident_id)
    if incident is None:
        return
    dossier = session.get(Dossier, incident.dossier_id)
    incident.attempts += 1
    incident.last_attempt_at, incident.reason = now, error.reason
    incident.message = error.detail[:MESSAGE_CHARS]
    incident.element_id, incident.element_name = error.element, error.element_name
    uow.record(actor, "incident_retry_failed", "dossier", dossier.code if dossier else None,
               dossier_id=incident.dossier_id, at=now,
               detail={"incident": incident.id, "reason": error.reason, "message": error.detail[:500]})
    uow.commit()
