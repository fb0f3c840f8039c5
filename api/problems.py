"""RFC 9457 problem details: every error leaves the API as application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response, current_app, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from engine.dossiers.tracking import TooManyAttempts
from engine.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidPackage,
    MotcuaError,
    NotFound,
    ProcessError,
    Unauthorized,
    ValidationFailed,
)
from engine.rendering.pdf import RenderFailed

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[MotcuaError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    ValidationFailed: 422,
    ProcessError: 422,
    InvalidPackage: 422,
    RenderFailed: 422,
    TooManyAttempts: 429,
}
TYPE_BASE = "https://motcua.gov.vn/problems/"


def problem(status: int, code: str, title: str, detail: str | None = None, headers: Any = None,
            **extra: Any) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + code, "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update({k: v for k, v in extra.items() if v is not None and k not in body})
    headers = list(headers or [])
    if "retry_after" in extra:
        headers.append(("Retry-After", str(extra["retry_after"])))
    pages = current_app.extensions.get("motcua.error_page")
    if pages is not None and pages[0]():  # a web page asked: answer with a page, not JSON
        try:
            page = pages[1](status, body)
            page.headers.extend(headers)
            return page
        except Exception:  # the error page itself failed: the JSON problem still tells what happened
            log.exception("error page failed for %s", request.path)
    # whatever an extra member holds (a message object, an index as a key), the problem itself must go out
    response = Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS, default=str), status=status,
                        mimetype="application/problem+json", headers=headers)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="motcua"'
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MotcuaError)
    def _domain(err: MotcuaError) -> Response:
        status = next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(err, cls)), 400)
        return problem(status, err.code, err.title, err.detail, **err.extra)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "-")
        if status == 413:  # werkzeug's own words name no limit
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            return problem(status, code, err.name, "the request is larger than the server accepts: at most "
                           f"{limit / 1024 / 1024:g} MB, and no more parts (files and fields) than "
                           f"{current_app.config['MAX_FORM_PARTS']}", max_bytes=limit,
                           max_parts=current_app.config["MAX_FORM_PARTS"])
        # the exception's own headers say what the status means: `Allow` on 405, `Retry-After` on 429 and 503
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        return problem(status, code, err.name, err.description, headers=headers)

    @app.errorhandler(DBAPIError)
    def _database(err: DBAPIError) -> Response:
        if err.connection_invalidated:  # the database went away mid-request (a restart): try again shortly
            log.warning("database connection lost on %s %s", request.method, request.path)
            return problem(503, "database-unavailable", "Service unavailable",
                           "The database could not be reached; nothing was changed. Try again shortly.",
                           retry_after=5)
        return _unexpected(err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal-error", "Internal server error",
                       "The request failed and nothing was changed.")
