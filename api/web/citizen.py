"""The signed-in citizen (or business), kept in the Flask session apart from an officer's sign-in:
`session["citizen"] = {subject, key, kind, name, claims}` (docs/web.md). Set only after the national single
sign-on's answer was checked (views/citizen_auth.py); a citizen owns the dossiers whose applicant key and kind
are theirs, and sees them without a PIN."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, session
from werkzeug.wrappers import Response

from connectors.identity.client import known_standin
from connectors.identity.config import OFFICER, OidcSettings

from ..sessions import csrf_token

CITIZEN = "citizen"
SIGNED_IN_AT = "citizen_iat"


def current_citizen() -> dict[str, Any] | None:
    """The signed-in citizen, or None (none, or signed in longer ago than a session lasts)."""
    found, issued = session.get(CITIZEN), session.get(SIGNED_IN_AT)
    if not isinstance(found, dict) or not isinstance(issued, int):
        return None
    if time.time() - issued > current_app.config["TOKEN_TTL"]:
        session.pop(CITIZEN, None)
        session.pop(SIGNED_IN_AT, None)
        return None
    return found


def sign_in_citizen(citizen: dict[str, Any]) -> None:
    """A fresh session (no fixation: whatever the browser held before, an officer's sign-in too, is gone)."""
    session.clear()
    session.permanent = True
    session[CITIZEN] = citizen
    session[SIGNED_IN_AT] = int(time.time())
    csrf_token()


def sign_out_citizen() -> None:
    session.clear()


def citizen_context() -> dict[str, Any]:
    """What every page's header needs: the citizen's name and whether VNeID sign-in is offered (and /login
    whether officers may sign in through the province's provider)."""
    settings = OidcSettings.from_env()
    return {"citizen": current_citizen(), "vneid_offered": settings.configured,
            "vneid_standin": settings.configured and known_standin(settings),
            "officer_oidc": OidcSettings.from_env(OFFICER).configured}


def no_store_for_citizens(response: Response) -> Response:
    """Pages seen by a signed-in citizen carry their name (and some their data): never kept by a shared
    computer's cache, whatever the page."""
    if isinstance(session.get(CITIZEN), dict):
        response.headers["Cache-Control"] = "no-store"
    return response
