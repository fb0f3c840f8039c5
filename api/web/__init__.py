"""Motcua's web pages: server-rendered Jinja templates with small vanilla JS modules.

The pages read through the engine like the API views do, and their scripts call `/api/v1` with the session
cookie and the CSRF header, so a page can do exactly what the signed-in officer's API access allows.
"""

from __future__ import annotations

from flask import Flask

from engine.runtime import Runtime

from .errors import register_error_pages
from .i18n import init_i18n
from .pages import init_pages


def init_web(app: Flask, services: Runtime) -> None:
    app.config.update(SESSION_COOKIE_NAME="motcua_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=services.settings.public_url.startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=services.settings.token_ttl_seconds,
                      SEND_FILE_MAX_AGE_DEFAULT=3600)  # static files: one hour, then a cheap revalidation
    init_i18n(app, services.settings.timezone)
    init_pages(app)
    register_error_pages(app)

    from .citizen import citizen_context, no_store_for_citizens
    from .views import (
        account,
        admin,
        citizen_auth,
        dashboard,
        designer,
        incidents,
        my_dossiers,
        notifications,
        officer,
        officer_sso,
        payments,
        portal,
        portal_returns,
        verification,
    )

    assert portal_returns.bp is portal.bp and payments.bp is portal.bp  # their routes are the portal's
    assert verification.bp is portal.bp
    assert my_dossiers.bp is citizen_auth.bp  # the signed-in citizen's pages
    assert officer_sso.bp is account.bp  # officers' sign-in through the province's provider
    app.context_processor(citizen_context)
    app.after_request(no_store_for_citizens)

    for bp in (account.bp, portal.bp, officer.bp, designer.bp, dashboard.bp, notifications.bp, incidents.bp,
               admin.bp, citizen_auth.bp):
        app.register_blueprint(bp)
