"""Who may download a dossier's signed result from the portal's pages, and the download itself: a browser session
that gave the dossier's right PIN on the tracking page keeps a short-lived proof in its (signed) session, so the
download link carries no PIN; a signed-in citizen owns their dossiers ("Hồ sơ của tôi")."""

from __future__ import annotations

import time

from flask import make_response, session, url_for
from werkzeug.wrappers import Response

from engine.dossiers.models import Dossier
from engine.verification.issued import IssuedFile, has_issued

from ...services import request_uow

TRACKED = "tracked_results"  # session key: {dossier code: until (epoch seconds)}, the PIN look-ups' proof
TRACKED_SECONDS = 30 * 60
TRACKED_MAX = 5


def remember_tracked(code: str) -> None:
    """This browser session gave the dossier's right PIN: it may download the result for a while, no PIN in URLs."""
    now = int(time.time())
    found = session.get(TRACKED)
    kept = {c: t for c, t in found.items() if isinstance(t, int) and t > now} if isinstance(found, dict) else {}
    kept.pop(code, None)
    kept[code] = now + TRACKED_SECONDS
    session[TRACKED] = dict(list(kept.items())[-TRACKED_MAX:])


def may_download(code: str) -> bool:
    found = session.get(TRACKED)
    until = found.get(code) if isinstance(found, dict) else None
    return isinstance(until, int) and until > time.time()


def result_url(dossier: Dossier | None, endpoint: str = "portal.tracked_result") -> str | None:
    """The download link for the page, when the dossier has an issued electronic result."""
    if dossier is None or not has_issued(request_uow(), dossier):
        return None
    return url_for(endpoint, code=dossier.code)


def pdf_response(found: IssuedFile) -> Response:
    response = make_response(found.pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.file_name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
