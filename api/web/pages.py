"""What every page shares: the signed-in actor, CSRF on forms, role-aware navigation, page decorators."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.errors import Forbidden, Unauthorized
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.organisation import actor_for
from engine.reform.approval import may_review
from engine.reform.drafts import is_reformer
from engine.scheduling.notifications import unread_count

from ..services import request_uow, services
from ..sessions import CSRF_FIELD, check_csrf, csrf_token, session_user_id, sign_out
from .redirects import same_site_path

F = TypeVar("F", bound=Callable[..., Any])
WEB_BLUEPRINTS = frozenset({"account", "portal", "officer", "designer", "dashboard", "notifications", "incidents",
                            "admin", "citizen_pages"})
# Who sees which part of the site; the views check the same roles again.
OFFICER_ROLES = ("reception", "specialist", "leader")
DESIGNER_ROLES = ("designer", "reform_officer", "admin")
DASHBOARD_ROLES = ("leader", "admin")
INCIDENT_ROLES = ("leader", "designer", "reform_officer", "admin")
# Scripts only from this site and never inline, so injected markup cannot run. bpmn-js and form-js set inline
# styles and the BPMN icon font is a data: URL, hence those two allowances.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'self'")


def page_actor() -> Actor | None:
    """The signed-in actor for a page, or None for a visitor (an expired session counts as none)."""
    if "page_actor" not in g:
        g.page_actor = None
        if session_user_id(required=False) is not None:
            try:  # pages check CSRF before the view runs; the session was just (re)issued on sign-in
                uow = request_uow()
                g.page_actor = g.actor = actor_for(uow.session, uow.org, session_user_id())
            except Unauthorized:  # the account was disabled since: sign the browser out
                sign_out()
    return g.page_actor


def page_user() -> User | None:
    actor = page_actor()
    return request_uow().session.get(User, actor.user_id) if actor else None


def page(*roles: str) -> Callable[[F], F]:
    """A page for signed-in users (with one of `roles`, when given); visitors go to the sign-in page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = page_actor()
            if actor is None:
                return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
            if roles and not actor.roles & set(roles):
                raise Forbidden("this page is for another role", roles=list(roles))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _csrf_for_pages() -> None:
    if request.blueprint in WEB_BLUEPRINTS:
        check_csrf()


# What an officer who must change the password an administrator set may still reach (static files have no
# blueprint of ours): every other page sends it to the change first.
BEFORE_PASSWORD_CHANGE = frozenset({"account.password", "account.logout", "account.login", "account.language",
                                    "account.favicon"})


def _password_change_first() -> Response | None:
    if request.blueprint not in WEB_BLUEPRINTS or request.endpoint in BEFORE_PASSWORD_CHANGE:
        return None
    actor = page_actor()
    if actor is None or not actor.must_change_password:
        return None
    # a form posted elsewhere is not carried over: only a page asked for is returned to after the change
    here = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("account.password", next=here), 303)


def _navigation() -> dict[str, Any]:
    actor = page_actor() if request.blueprint in WEB_BLUEPRINTS else None
    roles = actor.roles if actor else frozenset()
    unread = unread_count(request_uow().session, actor) if actor else 0
    return {"actor": actor, "csrf_token": csrf_token, "csrf_field": CSRF_FIELD, "unread_notifications": unread,
            "can": {"inbox": bool(roles & set(OFFICER_ROLES)), "counter": "reception" in roles,
                    "design": actor is not None and is_reformer(actor),
                    # a leader of a top-level unit who decides on publications (designers reach it from /designer/)
                    "review": actor is not None and not is_reformer(actor) and may_review(actor)
                    and services().settings.publish_approval,
                    "dashboard": bool(roles & set(DASHBOARD_ROLES)), "incidents": bool(roles & set(INCIDENT_ROLES)),
                    "admin": "admin" in roles}}


def _start_timer() -> None:
    g.started = time.perf_counter()


def _page_headers(response: Response) -> Response:
    """Server-Timing (the time the server spent, as browsers' developer tools show it) and safe defaults."""
    if request.blueprint not in WEB_BLUEPRINTS:
        return response
    started = g.get("started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if g.get("page_actor") is not None or response.status_code >= 300:
        # counter PCs are shared: pages with a dossier or an officer's work are never kept in the cache
        response.headers["Cache-Control"] = "no-store"
    return response


def init_pages(app: Flask) -> None:
    app.before_request(_start_timer)
    app.before_request(_csrf_for_pages)
    app.before_request(_password_change_first)
    app.after_request(_page_headers)
    app.context_processor(_navigation)


def back_to(default: str) -> Response:
    """Redirect to a same-site `next` (never to another host: see redirects.py), else to `default`."""
    return redirect(same_site_path(request.values.get("next")) or default)
