"""The portal's electronic results: the public verification page (/verify: upload a PDF, or give a dossier's code
and PIN), the signed result's download for a browser that looked the dossier up with its PIN, and the capability
link the national portal is given (/results/<code>/<token>.pdf). Routes of the portal's blueprint."""

from __future__ import annotations

import math
from typing import Any

from flask import make_response, render_template, request
from werkzeug.wrappers import Response

from engine.errors import NotFound
from engine.signing.config import SigningSettings
from engine.store.throttle import TooManyAttempts
from engine.verification.issued import NoIssuedResult, by_link, tracked
from engine.verification.upload import UnreadableUpload

from ...services import request_uow
from ...views.verification import verification_of
from .portal import bp
from .result_access import may_download, pdf_response


def _page(result: dict[str, Any] | None = None, problem: str | None = None, code: str = "", status: int = 200,
          retry_after: int | None = None) -> Response:
    html = render_template("portal/verify.html", result=result, problem=problem, code=code,
                           max_mb=SigningSettings.from_env().verify_max_bytes / 1024 / 1024,
                           wait_minutes=math.ceil(retry_after / 60) if retry_after else None)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/verify", methods=["GET", "POST"])
def verify_page() -> Response:
    if request.method == "GET":
        return _page(code=request.args.get("code", "").strip()[:40])
    code = request.form.get("code", "").strip()[:40]
    storage = request.files.get("file")
    if (storage is None or not storage.filename) and code and not request.form.get("pin", "").strip():
        return _page(problem="missing", code=code, status=422)
    try:
        result = verification_of(request.files, request.form)
    except UnreadableUpload as exc:
        return _page(problem=exc.code, code=code, status=422)
    except NotFound:
        return _page(problem="not-found", code=code, status=404)
    except NoIssuedResult:
        return _page(problem="no-result", code=code, status=409)
    except TooManyAttempts as exc:
        return _page(problem="too-many", code=code, status=429, retry_after=int(exc.extra["retry_after"]))
    return _page(result=result, code=code)


@bp.get("/track/result/<code>")
def tracked_result(code: str) -> Response:
    """For the browser session that looked the dossier up with its PIN (the tracking page); others 404."""
    if not may_download(code[:40]):
        raise NotFound("look the dossier up with its PIN first")
    try:
        return pdf_response(tracked(request_uow(), code))
    except NoIssuedResult:
        raise NotFound("the dossier has no electronic result") from None


@bp.get("/results/<code>/<token>.pdf")
def result_link(code: str, token: str) -> Response:
    """The national portal's link to the issued result: the token names this very file."""
    return pdf_response(by_link(request_uow(), code, token))
