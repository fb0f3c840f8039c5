"""Browser sessions: the web pages sign in with a cookie instead of a bearer token.

The cookie is Flask's signed session (HttpOnly, SameSite=Lax). It carries the user id, when it was issued and
a CSRF token. Every state-changing request made with the cookie — a page's form or the pages' own calls to
`/api/v1` — must echo the CSRF token, in the form field `csrf_token` or the `X-CSRF-Token` header.
"""

from __future__ import annotations

import hmac
import secrets
import time

from flask import current_app, g, request, session

from engine.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def csrf_token() -> str:
    """The session's CSRF token, made on first use (anonymous visitors get one too, for the portal's forms)."""
    token = session.get("csrf")
    if not token:
        if g.get("no_new_session"):  # error pages must not race a page's new session with a cookie of their own
            return ""
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.form else None)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again",
                        reason="csrf")


def sign_in(user_id: int) -> None:
    session.clear()  # a new session id on sign-in: no fixation
    session.permanent = True
    session["uid"] = user_id
    session["iat"] = int(time.time())
    csrf_token()


def sign_out() -> None:
    session.clear()


def session_user_id(*, required: bool = True) -> int | None:
    """The signed-in user, from the cookie; expired sessions count as signed out."""
    uid, issued = session.get("uid"), session.get("iat")
    if not isinstance(uid, int) or not isinstance(issued, int):
        if required:
            raise Unauthorized("sign in first", reason="no-session")
        return None
    if time.time() - issued > current_app.config["TOKEN_TTL"]:
        session.clear()
        if required:
            raise Unauthorized("the session has expired; sign in again", reason="session-expired")
        return None
    return uid
