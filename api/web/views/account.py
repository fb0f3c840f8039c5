"""Sign in and out with the same accounts as the API; change one's own password; choose the language."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, make_response, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Unauthorized, ValidationFailed
from engine.people.organisation import actor_for
from engine.people.password_change import change_own_password
from engine.people.passwords import MIN_LENGTH
from engine.people.signin import sign_in as check_sign_in
from engine.reform.drafts import is_reformer
from engine.store.throttle import TooManyAttempts

from ...auth import signin_limits
from ...clients import client_address
from ...services import request_uow
from ...sessions import sign_in, sign_out
from ..i18n import LANG_COOKIE, LANGUAGES
from ..pages import DASHBOARD_ROLES, OFFICER_ROLES, back_to, page, page_actor
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


def _password_messages() -> dict[str, str]:
    return {"Wrong password.": _("Mật khẩu hiện tại không đúng."),
            "At least 8 characters.": _("Mật khẩu cần ít nhất 8 ký tự."),
            "At most 200 characters.": _("Tối đa 200 ký tự."),
            "Not the current password.": _("Mật khẩu mới phải khác mật khẩu hiện tại."),
            "The two passwords differ.": _("Hai lần nhập mật khẩu mới không khớp nhau.")}


@bp.route("/account/password", methods=["GET", "POST"])
@page()
def password() -> Response | tuple[str, int]:
    """The officer's own new password; the only page (with signing out) for an account whose password an
    administrator set, until it is changed (pages.py sends every other page here)."""
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            change_own_password(uow, actor, form.get("current_password", "")[:201],
                                form.get("new_password", "")[:201], form.get("repeat_password", "")[:201])
        except ValidationFailed as exc:
            uow.session.rollback()
            known = _password_messages()
            errors = {key: [known.get(m, m) for m in messages] for key, messages in exc.errors.items()}
            status = 422
        except TooManyAttempts as exc:
            minutes = math.ceil(int(exc.extra["retry_after"]) / 60)
            errors = {"current_password": [_("Nhập sai mật khẩu hiện tại quá nhiều lần. Vui lòng thử lại sau "
                                             "%(n)s phút.", n=minutes)]}
            status = 429
        else:
            flash(_("Đã đổi mật khẩu."))
            return back_to(landing())
    html = render_template("account/password.html", errors=errors, required=actor.must_change_password,
                           next=same_site_path(request.values.get("next")) or "", min_length=MIN_LENGTH)
    return html, status


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
