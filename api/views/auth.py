from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from engine.people.actors import Actor
from engine.people.models import User
from engine.people.organisation import actor_for
from engine.people.signin import sign_in

from .. import schemas
from ..auth import current_actor, issue_token, login_required, signin_limits
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
            "memberships": [{"unit": u, "role": r} for u, r in sorted(actor.memberships)]}


@bp.get("/me")
@login_required()
@operation("The signed-in officer: memberships (unit x role)", tag="auth", responses={200: schemas.UserOut()})
def me():  # type: ignore[no-untyped-def]
    actor = current_actor()
    user = request_uow().session.get(User, actor.user_id)
    return respond(schemas.UserOut, user_view(user, actor))
