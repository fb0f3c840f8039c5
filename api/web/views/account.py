"""Sign in and out with the same accounts as the API; choose the language."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, make_response, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from engine.errors import Unauthorized
from engine.people.organisation import actor_for
from engine.people.signin import sign_in as check_sign_in
from engine.reform.drafts import is_reformer
from engine.store.throttle import TooManyAttempts

from ...auth import signin_limits
from ...clients import client_address
from ...services import request_uow
from ...sessions import sign_in, sign_out
from ..i18n import LANG_COOKIE, LANGUAGES
from ..pages import DASHBOARD_ROLES, OFFICER_ROLES, back_to, page_actor
from ..redirects import same_site_path

bp = Blueprint("account", __name__)


def landing() -> str:
    """Where a user starts: officers at the inbox, designers at the designer, leaders without tasks at figures."""
    actor = page_actor()
    roles = actor.roles if actor else frozenset()
    if roles & set(OFFICER_ROLES):
        return url_for("officer.inbox")
    if actor is not None and is_reformer(actor):
        return url_for("designer.procedures")
    if roles & set(DASHBOARD_ROLES):
        return url_for("dashboard.overview")
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    error, retry_after = None, None
    if request.method == "POST":
        uow, client = request_uow(), client_address()
        try:
            user = check_sign_in(uow, request.form.get("username", "").strip()[:200],
                                 request.form.get("password", "")[:200], client, signin_limits())
            actor = actor_for(uow.session, uow.org, user.id)
        except Unauthorized:
            error = "wrong-credentials"
        except TooManyAttempts as exc:
            error, retry_after = "too-many", int(exc.extra["retry_after"])
        else:
            uow.record(actor, "signed_in", "user", user.id, detail={"client": client, "via": "web"})
            uow.commit()
            sign_in(user.id)
            return back_to(landing())
    html = render_template("account/login.html", error=error, next=same_site_path(request.values.get("next")) or "",
                           wait_minutes=math.ceil(retry_after / 60) if retry_after else None)
    response = make_response(html, 429 if retry_after else 401 if error else 200)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout() -> Response:
    sign_out()
    return back_to(url_for("portal.home"))


@bp.get("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


@bp.get("/lang/<lang>")
def language(lang: str) -> Response:
    response = back_to(url_for("portal.home"))  # the switcher links pass ?next=<this page>
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response
