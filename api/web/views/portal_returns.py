"""The citizen's return trips in the portal: the answer to a supplement request from the tracking page, and a lost
PIN sent again to the contact on file. Routes of the portal's blueprint."""

from __future__ import annotations

from flask import make_response, render_template, request
from werkzeug.wrappers import Response

from engine.dossiers.attachments import Upload
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.scheduling.pin_resend import resend_pin
from engine.store.throttle import TooManyAttempts

from ...clients import client_address
from ...services import request_uow, services
from ...views.citizen import supplement_from_request
from ..form_errors import flat_errors
from .portal import _lookup, _too_many, _track_page, bp


def _other_file() -> list[Upload]:
    """The "other document" row: a file and the document it is for, chosen from the procedure's list."""
    storage = request.files.get("other_file")
    if storage is None or not storage.filename:
        return []
    return [Upload(request.form.get("other_document", "")[:64], storage.filename, storage.stream)]


@bp.post("/track/supplement")
def track_supplement() -> Response:
    code, pin = request.form.get("code", "").strip()[:40], request.form.get("pin", "").strip()[:20]
    note = request.form.get("note", "").strip()[:2000]
    upload: dict[str, object] = {}
    status = 200
    try:
        supplement_from_request(code, pin, note or None, extra=_other_file())
    except ValidationFailed as exc:
        upload, status = {"errors": flat_errors(exc.errors), "note": note}, 422
    except Conflict:
        pass  # nothing is asked any more (reception decided meanwhile): the page below shows where it stands
    except NotFound:
        return _track_page(code, problem="not-found", status=404)
    except TooManyAttempts as exc:
        return _too_many(code, exc)
    view, failed = _lookup(code, pin)
    return failed or _track_page(code, view, pin, status=status, upload=upload)


def _pin_page(code: str = "", sent: bool = False, status: int = 200, wait: int | None = None) -> Response:
    response = make_response(render_template("portal/pin.html", code=code, sent=sent,
                                             wait_minutes=-(-wait // 60) if wait else None), status)
    response.headers["Cache-Control"] = "no-store"
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/track/pin", methods=["GET", "POST"])
def pin_page() -> Response:
    if request.method == "GET":
        return _pin_page(request.args.get("code", "").strip()[:40])
    code = request.form.get("code", "").strip()[:40]
    if not code:
        return _pin_page(status=422)
    try:
        resend_pin(request_uow(), code, client_address(), services().settings.public_url)
    except TooManyAttempts as exc:
        return _pin_page(code, status=429, wait=int(exc.extra["retry_after"]))
    return _pin_page(code, sent=True)
