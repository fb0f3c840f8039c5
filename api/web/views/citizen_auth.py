"""Citizens and businesses sign in through the national single sign-on (VNeID) with OpenID Connect: /citizen/login
sends the browser to the provider (code flow with PKCE, state and nonce kept in the session), /citizen/callback
checks the answer and signs the citizen in, /citizen/logout signs out (and offers the provider's logout).
Every failure is a page in Vietnamese with a 4xx status, never a 5xx, the provider down included."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from connectors.identity.client import IdentityError, Pending, begin, finish, logout_url
from connectors.identity.config import OidcSettings
from connectors.identity.mapping import ClaimsError, citizen_from_userinfo
from engine.dossiers.mine import record_sign_in

from ...clients import client_address
from ...services import request_uow
from ..citizen import current_citizen, sign_in_citizen, sign_out_citizen
from ..redirects import same_site_path

bp = Blueprint("citizen_pages", __name__)
PENDING = "citizen_oidc"  # session key: state, nonce, PKCE verifier and where to return, until the callback
# why sign-in failed -> the page's status (never 5xx: the provider being down is said plainly, as a 409)
STATUS = {"state": 400, "token": 400, "provider": 403, "claims": 403, "unreachable": 409, "not-configured": 409}


def failed(kind: str, officer: bool = False) -> Response:
    response = make_response(render_template("portal/citizen_error.html", kind=kind, officer=officer),
                             STATUS.get(kind, 400))
    response.headers["Cache-Control"] = "no-store"
    return response


def no_store(html: str, status: int = 200) -> Response:
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # a citizen's own data: never kept by a shared computer's cache
    return response


def redirect_uri(settings: OidcSettings, endpoint: str) -> str:
    return settings.redirect_uri or url_for(endpoint, _external=True)


def start_sign_in(settings: OidcSettings, endpoint: str, key: str, officer: bool = False) -> Response:
    """The redirect to the provider; what the callback needs stays in the session under `key`."""
    if not settings.configured:
        return failed("not-configured", officer)
    try:  # the provider is asked before any database work: no transaction waits on it
        url, pending = begin(settings, redirect_uri(settings, endpoint))
    except IdentityError as exc:
        return failed(exc.kind, officer)
    session[key] = {**pending.as_dict(), "next": same_site_path(request.args.get("next")) or ""}
    return redirect(url, 303)


def finish_sign_in(settings: OidcSettings, key: str) -> tuple[Any, str]:
    """(the checked identity, where to return); the pending sign-in is used once (a replayed callback fails)."""
    kept = session.pop(key, None)
    identity = finish(settings, request.args, Pending.from_dict(kept))
    return identity, str(kept.get("next") or "") if isinstance(kept, dict) else ""


@bp.get("/citizen/login")
def login() -> Response:
    return start_sign_in(OidcSettings.from_env(), "citizen_pages.callback", PENDING)


@bp.get("/citizen/callback")
def callback() -> Response:
    settings = OidcSettings.from_env()
    if not settings.configured:
        return failed("not-configured")
    try:
        identity, back = finish_sign_in(settings, PENDING)
        citizen = citizen_from_userinfo(identity.userinfo or identity.id_token)
    except IdentityError as exc:
        return failed(exc.kind)
    except ClaimsError:
        return failed("claims")
    record_sign_in(request_uow(), citizen["subject"], citizen["kind"], "vneid", client_address())
    sign_in_citizen(citizen)
    return redirect(back or url_for("citizen_pages.my_dossiers"), 303)


@bp.post("/citizen/logout")
def logout() -> Response:
    was = current_citizen()
    sign_out_citizen()
    settings = OidcSettings.from_env()
    provider = logout_url(settings, None, url_for("portal.home", _external=True)) if was and settings.configured \
        else None
    return no_store(render_template("portal/citizen_signed_out.html", provider_logout=provider))
