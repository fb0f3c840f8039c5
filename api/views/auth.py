from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from engine.people.actors import Actor
from engine.people.models import User
from engine.people.organisation import actor_for
from engine.people.password_change import change_own_password
from engine.people.signin import sign_in

from .. import schemas
from ..auth import current_actor, issue_token, login_required, signed_in_actor, signin_limits
from ..clients import client_address
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@operation("Sign in with a local account and get a bearer token", tag="auth", public=True,
           body=schemas.TokenRequest(), responses={200: schemas.TokenResponse(), 401: "wrong credentials",
                                                   429: "too many failed sign-ins (Retry-After: seconds)"})
def token():  # type: ignore[no-untyped-def]
    uow, client = request_uow(), client_address()
    user = sign_in(uow, g.body["username"], g.body["password"], client, signin_limits())
    actor = actor_for(uow.session, uow.org, user.id)
    uow.record(actor, "signed_in", "user", user.id, detail={"client": client})
    uow.commit()
    body = {"access_token": issue_token(user.id), "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL"], "user": user_view(user, actor)}
    return respond(schemas.TokenResponse, body)


def user_view(user: Any, actor: Actor) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "email": user.email,
            "active": user.active, "roles": sorted(actor.roles),
            "memberships": [{"unit": u, "role": r} for u, r in sorted(actor.memberships)],
            "must_change_password": bool(user.must_change_password)}


@bp.post("/me/password")
@login_required(own_password=True)
@operation("Change one's own password: the current one, and a new one by the same rule (the one call an account "
           "whose password an administrator set may make)", tag="auth", body=schemas.PasswordChangeIn(),
           responses={204: "changed", 422: "wrong current password, or the new one is refused (field errors)",
                      429: "too many wrong current passwords (Retry-After: seconds)"})
def change_password():  # type: ignore[no-untyped-def]
    body = g.body
    change_own_password(request_uow(), signed_in_actor(), body["current_password"], body["new_password"],
                        body.get("repeat_password", body["new_password"]))
    return "", 204


@bp.get("/me")
@login_required()
@operation("The signed-in officer: memberships (unit x role)", tag="auth", responses={200: schemas.UserOut()})
def me():  # type: ignore[no-untyped-def]
    actor = current_actor()
    user = request_uow().session.get(User, actor.user_id)
    return respond(schemas.UserOut, user_view(user, actor))
