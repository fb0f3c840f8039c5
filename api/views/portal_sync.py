"""The national portal's dossier sync: each dossier's state, leaders' list and re-send (engine/sync/state.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from engine.dossiers.service import find_dossier
from engine.errors import ValidationFailed
from engine.sync.state import STATES, leader_units, listing, may_resend, recent_rate, resend, sync_state

from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas.portal_sync import PortalSyncList, PortalSyncOut, PortalSyncQuery, ResendIn, ResendOut
from ..services import request_uow, services

bp = Blueprint("portal_sync", __name__)


def _out(state: Any, resendable: bool, **extra: Any) -> dict[str, Any]:
    return {**vars(state), "may_resend": resendable, **extra}


@bp.get("/dossiers/<code>/portal-sync")
@login_required()
@operation("The dossier's sync with the national public service portal: synced, pending (with the last error "
           "while it is retried) or failed (with the portal's reason); officers who may see the dossier",
           tag="portal-sync", responses={200: PortalSyncOut(), 404: "unknown dossier"})
def state(code: str):  # type: ignore[no-untyped-def]
    uow, actor = request_uow(), current_actor()
    found = sync_state(uow, actor, code)
    return respond(PortalSyncOut, _out(found, may_resend(actor, find_dossier(uow.session, actor, code))))


@bp.post("/dossiers/<code>/portal-sync")
@login_required()
@operation("Re-send the dossier to the portal: a fresh message with its current state, queued after the others "
           "(the waiting ones become due now); a leader of the dossier's units; audited", tag="portal-sync",
           responses={200: PortalSyncOut(), 403: "not a leader of the dossier's units", 404: "unknown dossier"})
def resend_one(code: str):  # type: ignore[no-untyped-def]
    uow, actor = request_uow(), current_actor()
    resend(uow, actor, [code])
    return respond(PortalSyncOut, _out(sync_state(uow, actor, code), True))


@bp.get("/portal-sync")
@login_required("leader")
@operation("The dossiers of the leader's units by sync state (default failed and pending, oldest first, at most "
           "200), and the sync rate over the last `days`", tag="portal-sync", query=PortalSyncQuery(),
           responses={200: PortalSyncList()})
def list_states():  # type: ignore[no-untyped-def]
    uow, actor = request_uow(), current_actor()
    wanted = tuple(s.strip() for s in g.query["state"].split(",") if s.strip())
    if not wanted or any(s not in STATES for s in wanted):
        raise ValidationFailed("unknown sync state", {"state": [f"One or more of {', '.join(STATES[:3])}."]})
    rows = listing(uow, actor, wanted)
    items = [_out(s, True, procedure_code=d.procedure_code, applicant_name=d.applicant_name, status=d.status)
             for d, s in rows]
    days = g.query["days"]
    rate = recent_rate(uow, days, services().settings.portal_sync_target_minutes, leader_units(actor))
    return respond(PortalSyncList, {"items": items, "rate": {**vars(rate), "rate": rate.rate, "days": days}})


@bp.post("/portal-sync/resend")
@login_required()
@operation("Re-send many dossiers to the portal (a leader of each one's units): each gets a fresh message with "
           "its current state; audited", tag="portal-sync", body=ResendIn(),
           responses={200: ResendOut(), 403: "not a leader of a dossier's units", 404: "unknown dossier"})
def resend_many():  # type: ignore[no-untyped-def]
    return respond(ResendOut, {"codes": resend(request_uow(), current_actor(), g.body["codes"])})
