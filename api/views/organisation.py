from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from engine.dossiers.service import find_dossier
from engine.people.accounts import (
    change_membership,
    dossier_history,
    list_roles,
    list_units,
    list_users,
    new_user,
    patch_user,
    put_unit,
    verify_chain,
)
from engine.people.models import User
from engine.people.organisation import memberships_of
from engine.work.assignment import handover

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("organisation", __name__)


def _user_body(user: Any, memberships: list[tuple[str, str]]) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "email": user.email,
            "active": user.active, "roles": sorted({r for _, r in memberships}),
            "memberships": [{"unit": u, "role": r} for u, r in memberships]}


@bp.get("/units")
@login_required()
@operation("Units: the provincial center and the commune/ward centers", tag="organisation",
           responses={200: schemas.UnitList()})
def units():  # type: ignore[no-untyped-def]
    return respond(schemas.UnitList, {"items": list_units(request_uow())})


@bp.put("/units/<code>")
@login_required("admin")
@operation("Create or change a unit", tag="organisation", body=schemas.UnitIO(), responses={200: schemas.UnitIO()})
def save_unit(code: str):  # type: ignore[no-untyped-def]
    return respond(schemas.UnitIO, put_unit(request_uow(), current_actor(), code[:64], g.body))


@bp.get("/roles")
@login_required()
@operation("Roles a BPMN lane may name", tag="organisation", responses={200: schemas.RoleList()})
def roles():  # type: ignore[no-untyped-def]
    return respond(schemas.RoleList, {"items": list_roles(request_uow())})


@bp.get("/users")
@login_required("admin", "leader")
@operation("Officers (all for administrators; a leader's units for leaders); ?unit= filters", tag="organisation",
           responses={200: schemas.UserList()})
def users():  # type: ignore[no-untyped-def]
    rows = list_users(request_uow(), current_actor(), request.args.get("unit"))
    return respond(schemas.UserList, {"items": [_user_body(u, m) for u, m in rows]})


@bp.post("/users")
@login_required("admin")
@operation("Create an officer with memberships (unit x role)", tag="organisation", body=schemas.UserCreate(),
           responses={201: schemas.UserOut(), 409: "username taken", 422: "unknown unit or role"})
def create():  # type: ignore[no-untyped-def]
    user, memberships = new_user(request_uow(), current_actor(), g.body)
    return respond(schemas.UserOut, _user_body(user, memberships), 201)


@bp.patch("/users/<int:user_id>")
@login_required("admin")
@operation("Change an officer's name, e-mail or whether the account is active", tag="organisation",
           body=schemas.UserPatch(), responses={200: schemas.UserOut(), 404: "unknown user"})
def patch(user_id: int):  # type: ignore[no-untyped-def]
    user, memberships = patch_user(request_uow(), current_actor(), user_id, g.body)
    return respond(schemas.UserOut, _user_body(user, memberships))


@bp.post("/users/<int:user_id>/memberships")
@login_required("admin")
@operation("Give an officer a role in a unit; open tasks follow at once", tag="organisation",
           body=schemas.MembershipIO(), responses={200: schemas.UserOut()})
def add_member(user_id: int):  # type: ignore[no-untyped-def]
    change_membership(request_uow(), current_actor(), user_id, g.body["unit"], g.body["role"], add=True)
    return _user_response(user_id)


@bp.delete("/users/<int:user_id>/memberships/<unit>/<role>")
@login_required("admin")
@operation("Take a role in a unit away from an officer", tag="organisation", responses={200: schemas.UserOut()})
def remove_member(user_id: int, unit: str, role: str):  # type: ignore[no-untyped-def]
    change_membership(request_uow(), current_actor(), user_id, unit, role, add=False)
    return _user_response(user_id)


def _user_response(user_id: int) -> Response:
    uow = request_uow()
    return respond(schemas.UserOut, _user_body(uow.session.get(User, user_id), memberships_of(uow.session, user_id)))


@bp.post("/handovers")
@login_required("admin", "leader")
@operation("Move every open task and pending dossier of one officer to another, in one transaction, and "
           "report what moved and what could not (the receiver lacks the role or unit)", tag="organisation",
           body=schemas.HandoverIn(), responses={200: schemas.HandoverOut(), 403: "not a leader of those units"})
def make_handover():  # type: ignore[no-untyped-def]
    body = g.body
    report = handover(request_uow(), current_actor(), body["from_user"], body["to_user"], body["deactivate"])
    return respond(schemas.HandoverOut, report)


@bp.get("/dossiers/<code>/history")
@login_required()
@operation("A dossier's audit trail: who did what, when, from which unit, before and after", tag="dossiers",
           responses={200: schemas.AuditList(), 404: "unknown dossier"})
def history(code: str):  # type: ignore[no-untyped-def]
    uow = request_uow()
    dossier = find_dossier(uow.session, current_actor(), code)
    return respond(schemas.AuditList, {"items": dossier_history(uow, dossier.id)})


@bp.get("/audit/verify")
@login_required("admin")
@operation("Check the audit chain: every entry's keyed hash and link, and the signed checkpoints kept outside "
           "the database", tag="organisation", responses={200: schemas.VerificationOut()})
def audit_verify():  # type: ignore[no-untyped-def]
    result = verify_chain(request_uow(), current_actor())
    return respond(schemas.VerificationOut, result)
