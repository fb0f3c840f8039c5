from __future__ import annotations

from flask import Blueprint, current_app, g

from engine.users import authenticate

from .. import schemas
from ..auth import issue_token
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@operation("Sign in with a local account and get a bearer token", tag="auth", public=True,
           body=schemas.TokenRequest(), responses={200: schemas.TokenResponse(), 401: "wrong credentials"})
def token():  # type: ignore[no-untyped-def]
    uow = request_uow()
    user = authenticate(uow.session, g.body["username"], g.body["password"])
    body = {"access_token": issue_token(user.id, user.roles), "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL"], "user": user}
    return respond(schemas.TokenResponse(), body)
