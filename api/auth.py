"""Signed bearer tokens (itsdangerous) with expiry; the acting user is re-read on every request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engine.errors import Forbidden, Unauthorized
from engine.people.actors import Actor
from engine.people.organisation import actor_for
from engine.people.password_change import require_own_password
from engine.people.signin import SigninLimits

from .services import request_uow, services
from .sessions import check_csrf, session_user_id

F = TypeVar("F", bound=Callable[..., Any])
_SALT = "motcua-api-token"


def _serializer() -> URLSafeTimedSerializer:
    """Built once per app and key: the serializer derives its signing key when it is made."""
    cached = current_app.extensions.get("motcua_token_serializer")
    key = current_app.config["SECRET_KEY"]
    if cached is None or cached[0] != key:
        cached = current_app.extensions["motcua_token_serializer"] = (key, URLSafeTimedSerializer(key, salt=_SALT))
    return cached[1]


def signin_limits() -> SigninLimits:
    s = services().settings
    return SigninLimits(timedelta(seconds=s.signin_window_seconds), s.signin_limit, s.signin_client_limit,
                        s.signin_account_limit)


def issue_token(user_id: int) -> str:
    # Roles are not trusted from the token: memberships are read again on every request.
    return _serializer().dumps({"uid": user_id})


def _request_user_id() -> int:
    """A bearer token if one is sent; otherwise the web pages' session cookie, whose unsafe calls need CSRF."""
    if "Authorization" not in request.headers and "uid" in session:
        uid = session_user_id()
        check_csrf()
        return uid  # type: ignore[return-value]
    return _token_user_id()


def _token_user_id() -> int:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    try:
        payload = _serializer().loads(token, max_age=current_app.config["TOKEN_TTL"])
    except SignatureExpired:
        raise Unauthorized("the token has expired; sign in again", reason="token-expired") from None
    except BadSignature:
        raise Unauthorized("the token is not valid", reason="token-invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise Unauthorized("the token is not valid", reason="token-invalid")
    return payload["uid"]


def signed_in_actor() -> Actor:
    """The caller of an API call, by token or session, whatever the state of its password."""
    actor = g.get("actor")
    if actor is None:
        uow = request_uow()
        actor = g.actor = actor_for(uow.session, uow.org, _request_user_id())
    return actor


def current_actor() -> Actor:
    """The caller of an API call, by token or session; an account whose password an administrator set gets
    403 password-change-required until the officer has changed it (POST /me/password, or the pages)."""
    actor = signed_in_actor()
    require_own_password(actor)
    return actor


def login_required(*roles: str, own_password: bool = False) -> Callable[[F], F]:
    """Require a valid token; with roles, require at least one of them. `own_password`: the one call an account
    that must change its password may make (the change itself)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = signed_in_actor() if own_password else current_actor()
            if roles and not actor.roles & set(roles):
                raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        wrapper.__dict__.setdefault("_auth", roles or ("any",))  # read by the OpenAPI builder
        return wrapper  # type: ignore[return-value]

    return decorate
