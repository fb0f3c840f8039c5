"""Officers sign in through the province's OpenID provider (MOTCUA_OFFICER_OIDC_*), offered on /login when it is
configured: the same client as the citizens' VNeID sign-in, another configuration. The claim named by
MOTCUA_OFFICER_OIDC_USERNAME_CLAIM must name an active Motcua account; its memberships stay Motcua's."""

from __future__ import annotations

from flask import g, make_response, redirect, render_template
from werkzeug.wrappers import Response

from connectors.identity.client import IdentityError
from connectors.identity.config import OFFICER, OidcSettings
from engine.errors import Unauthorized
from engine.people.signin_oidc import sign_in_by_provider

from ...clients import client_address
from ...services import request_uow
from ...sessions import sign_in
from .account import bp, landing
from .citizen_auth import failed, finish_sign_in, start_sign_in

PENDING = "officer_oidc"  # session key of the sign-in under way


@bp.get("/login/oidc")
def login_oidc() -> Response:
    return start_sign_in(OidcSettings.from_env(OFFICER), "account.oidc_callback", PENDING, officer=True)


@bp.get("/login/oidc/callback")
def oidc_callback() -> Response:
    settings = OidcSettings.from_env(OFFICER)
    if not settings.configured:
        return failed("not-configured", officer=True)
    try:
        identity, back = finish_sign_in(settings, PENDING)
    except IdentityError as exc:
        return failed(exc.kind, officer=True)
    claims = {**identity.id_token, **identity.userinfo}
    username = str(claims.get(settings.username_claim) or "")
    try:
        user = sign_in_by_provider(request_uow(), username, str(claims["sub"]), client_address())
    except Unauthorized:
        response = make_response(render_template("account/oidc_refused.html"), 403)
        response.headers["Cache-Control"] = "no-store"
        return response
    sign_in(user.id)
    g.pop("page_actor", None)  # looked up before this request signed in: the landing page is the account's
    return redirect(back or landing(), 303)
