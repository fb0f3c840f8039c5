"""The citizen portal: catalogue, online submission, receipt, tracking, rating. No account needed."""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from engine.dossiers.attachments import ACCEPTED_EXTENSIONS, StoredFile
from engine.dossiers.codes import PIN_DIGITS
from engine.dossiers.mine import vouched_fields
from engine.dossiers.population import look_up_own
from engine.dossiers.portal import Refused, catalogue
from engine.dossiers.tracking import TooManyAttempts, rate, track
from engine.errors import BadRequest, Conflict, NotFound, ValidationFailed
from engine.payments.service import owes
from engine.procedures.catalog import current_version
from engine.procedures.forms import applicant_bindings
from engine.procedures.specs import CompiledProcedure
from engine.text import fold

from ...clients import client_address
from ...integers import parse_int
from ...operations import load_json
from ...payments import payment_summary, platform_create, platform_origin
from ...services import request_uow, services
from ...views.population import fetch as population_fetch
from ...views.portal_api import procedure_body, submit_from_request
from ..citizen import current_citizen
from ..form_errors import flat_errors, form_labels
from ..formdata import declaration_from_form
from ..pages import CONTENT_SECURITY_POLICY
from .kept_files import keep_token, kept_files
from .own_data import POPULATION_FILL, own_data, population_offered, remember_fill
from .result_access import remember_tracked, result_url

bp = Blueprint("portal", __name__)
APPLICANT_FIELDS = ("name", "id_number", "phone", "email", "address")
BUSINESS_FIELDS = ("tax_code", "representative")  # shown only to a business signed in through VNeID
RECEIPT = "portal_receipt"  # session key: the code and PIN, shown once


def _search_text(compiled: CompiledProcedure) -> str:
    meta = compiled.meta
    return fold(" ".join([compiled.code, meta["name"]["vi"], meta["name"]["en"], meta["authority"]["vi"],
                          meta["authority"]["en"]]))


@bp.get("/")
def home() -> str:
    query = request.args.get("q", "")[:200]
    uow = request_uow()
    shown = {c.code for c in catalogue(uow, query)}
    procedures = [(c, _search_text(c), c.code in shown) for c in catalogue(uow)]
    return render_template("portal/home.html", procedures=procedures, query=query, found=len(shown))


@bp.get("/procedures/<code>")
def procedure(code: str) -> str:
    uow = request_uow()
    return render_template("portal/procedure.html", p=procedure_body(current_version(uow.session, uow.cache, code)))


def _render_submit(p: dict[str, Any], values: dict[str, Any], data: dict[str, Any], token: str,
                   errors: dict[str, list[str]] | None = None, status: int = 200,
                   retry_after: int | None = None, kept: list[StoredFile] | None = None) -> Response:
    errors = errors or {}
    data_errors = {k[5:]: v for k, v in errors.items() if k == "data" or k.startswith("data.")}
    wait = math.ceil(retry_after / 60) if retry_after else None
    labels = form_labels((p["start_form"] or {}).get("components", []))
    bound = applicant_bindings(p["start_form"] or {})
    offered: dict[str, list[dict[str, Any]]] = {}
    for f in kept or []:
        offered.setdefault(f.document, []).append({"name": f.file_name, "size": f.size, "token": keep_token(f)})
    citizen = current_citizen()
    _, sources, fill = own_data(p["code"], citizen)
    html = render_template("portal/submit.html", p=p, values=values, data=data, token=token, errors=errors,
                           data_errors=data_errors, labels=labels, wait_minutes=wait, bound=bound,
                           bound_labels=[labels.get(k, k) for k in bound], kept=offered,
                           vouched=set(sources), sources=sources, population=fill,
                           population_offered=population_offered(citizen),
                           business=bool(citizen and citizen["kind"] == "business"))
    response = make_response(html, status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _session_pin(token: str) -> str | None:
    """The PIN of this browser session's submission `token`, derived again on every request.

    A lost first response (a double click, a reload on a slow line) also loses the cookie it set, so a PIN
    stored there would be gone; derived from the session's own secret (its CSRF token, which predates the
    form) and the server key, the replay recomputes it, the engine checks it against the dossier's hash, and
    nothing is stored. Another session derives another PIN, so it never sees this one."""
    nonce = session.get("csrf")
    if not isinstance(nonce, str) or not nonce:
        return None
    message = f"portal-pin:{nonce}:{token}".encode()
    digest = hmac.new(services().settings.secret_key.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** PIN_DIGITS:0{PIN_DIGITS}d}"


@bp.route("/procedures/<code>/submit", methods=["GET", "POST"])
def submit(code: str) -> Response:
    uow = request_uow()
    p = procedure_body(current_version(uow.session, uow.cache, code))
    citizen = current_citizen()
    claims: dict[str, str] = citizen["claims"] if citizen else {}
    prefilled, _, fill = own_data(code, citizen)
    if request.method == "GET":  # a signed-in citizen's identity (and own population data) fill in what they vouch for
        return _render_submit(p, prefilled, {}, uuid.uuid4().hex)
    form = request.form
    names = APPLICANT_FIELDS + (BUSINESS_FIELDS if claims.get("kind") == "business" else ())
    values = {f: form.get(f"applicant_{f}", "").strip() for f in names}
    # the identity's fields must come back as the identity gave them (read-only on the page; re-checked here);
    # those filled from the population database are proved by the citizen's own look-up instead
    from_population = fill["applicant"] if fill else {}
    sources, mismatched = vouched_fields(values, {k: v for k, v in claims.items() if k not in from_population})
    proof = ({"fields": tuple(f for f, v in from_population.items() if values.get(f) == v),
              "lookup": fill["lookup"], "subject": citizen["subject"]} if fill and citizen else None)
    values["competent_unit"] = form.get("competent_unit", "")
    values["result_delivery"] = form.get("result_delivery", "")[:16]
    token = form.get("submission_token", "")[:100] or uuid.uuid4().hex
    kept = kept_files(form.getlist("kept"))
    if form.get("data"):  # the page's script sent form-js's data
        try:
            data = load_json(form["data"])
        except BadRequest:
            data = None
    else:  # no JavaScript: the declaration's plain fields, as the page rendered them
        data = declaration_from_form(p["start_form"], form, set(applicant_bindings(p["start_form"] or {})))
    if not isinstance(data, dict):
        return _render_submit(p, values, {}, token, {"data": ["The declaration could not be read."]}, 400, kept=kept)
    if mismatched:
        return _render_submit(p, values, data, token, mismatched, 422, kept=kept)
    applicant = {k: v for k, v in values.items() if v and k in names}
    if claims.get("kind") == "business":
        applicant["kind"] = "business"
    fields = {"procedure": code, "applicant": applicant,
              "competent_unit": values["competent_unit"], "data": data,
              "result_delivery": values["result_delivery"] or None}
    try:
        submitted = submit_from_request(fields, token, _session_pin(token), kept, sources, proof)
    except Refused as exc:
        return _render_submit(p, values, data, token, flat_errors(exc.errors), 422, kept=exc.stored)
    except ValidationFailed as exc:
        return _render_submit(p, values, data, token, flat_errors(exc.errors), 422, kept=kept)
    except TooManyAttempts as exc:
        return _render_submit(p, values, data, token, status=429, retry_after=exc.extra.get("retry_after"))
    dossier = submitted.dossier
    session.pop(POPULATION_FILL, None)
    earlier = session.get(RECEIPT)
    if submitted.pin is None and isinstance(earlier, dict) and earlier.get("code") == dossier.code:
        return redirect(url_for("portal.receipt"))  # a double click: the first response's receipt still stands
    # A replay from this session gets its PIN back from the engine: the receipt shows it once again.
    session[RECEIPT] = {"code": dossier.code, "pin": submitted.pin, "procedure": p["name"],
                        "unit": next((u.name for u in p["units"] if u.code == dossier.competent_unit), ""),
                        "at": dossier.created_at.isoformat(), "mine": citizen is not None,
                        "fee": dossier.fee_amount if owes(dossier) and platform_create() else 0}
    return redirect(url_for("portal.receipt"))


@bp.post("/procedures/<code>/submit/population")
def population_fill(code: str) -> Response:
    """The signed-in citizen asks for their own record in the population database to fill the declaration."""
    uow = request_uow()
    p = procedure_body(current_version(uow.session, uow.cache, code))
    citizen = current_citizen()
    problem, status = None, 200
    if not population_offered(citizen):
        problem, status = "not_offered", 403
    else:
        try:
            answer = look_up_own(uow, citizen, population_fetch)
        except NotFound:
            problem, status = "not_found", 404
        except (Conflict, ValidationFailed):  # the database could not answer, or the identity has no personal id
            problem, status = "unavailable", 409
    if problem:
        return _render_submit(p, own_data(code, citizen)[0], {}, uuid.uuid4().hex, {"population": [problem]}, status)
    remember_fill(code, citizen, answer)
    return redirect(url_for("portal.submit", code=code), 303)


@bp.get("/receipt")
def receipt() -> Response:
    shown = session.pop(RECEIPT, None)  # once: a reload or the back button does not show the PIN again
    response = make_response(render_template("portal/receipt.html", receipt=shown), 200 if shown else 404)
    if shown and shown.get("fee"):
        allow_pay_form(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def allow_pay_form(response: Response) -> Response:
    """The page's forms may lead to the payment platform: a form posted to /payments/start is redirected there,
    so its origin joins the CSP's form-action."""
    origin = platform_origin()
    if origin:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response


def _track_page(code: str = "", view: Any = None, pin: str = "", problem: str | None = None,
                status: int = 200, rating_errors: dict[str, list[str]] | None = None,
                rated: bool = False, comment: str = "", retry_after: int | None = None,
                upload: dict[str, Any] | None = None) -> Response:
    settings = services().settings
    upload = {"errors": {}, "note": "", "accept": ACCEPTED_EXTENSIONS, "max_bytes": settings.upload_max_bytes,
              **(upload or {})}
    payment = payment_summary(request_uow(), view.dossier) if view is not None else None
    download = result_url(view.dossier) if view is not None else None  # the PIN look-up's session proof
    html = render_template("portal/track.html", code=code, view=view, pin=pin, problem=problem, rated=rated,
                           payment=payment, result_url=download, rating_errors=rating_errors or {}, comment=comment,
                           upload=upload,
                           wait_minutes=math.ceil(retry_after / 60) if retry_after else None)
    response = make_response(html, status)
    if payment and payment["online"] and payment["owed"]:
        allow_pay_form(response)
    response.headers["Cache-Control"] = "no-store"  # the result page carries the PIN in its rating form
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _too_many(code: str, exc: TooManyAttempts) -> Response:
    return _track_page(code, problem="too-many", status=429, retry_after=int(exc.extra["retry_after"]))


def _lookup(code: str, pin: str) -> tuple[Any, Response | None]:
    try:
        view = track(request_uow(), code, pin, client_address())
    except NotFound:
        return None, _track_page(code, problem="not-found", status=404)
    except TooManyAttempts as exc:
        return None, _too_many(code, exc)
    remember_tracked(view.dossier.code)
    return view, None


@bp.route("/track", methods=["GET", "POST"])
def track_page() -> Response:
    if request.method == "GET":
        return _track_page(request.args.get("code", "").strip()[:40])
    code, pin = request.form.get("code", "").strip()[:40], request.form.get("pin", "").strip()[:20]
    if not code or not pin:
        return _track_page(code, problem="missing", status=422)
    view, failed = _lookup(code, pin)
    return failed or _track_page(code, view, pin)


@bp.post("/track/rating")
def rating() -> Response:
    code, pin = request.form.get("code", "").strip()[:40], request.form.get("pin", "").strip()[:20]
    raw = request.form.get("rating", "")
    comment = request.form.get("comment", "").strip()[:2000] or None
    errors: dict[str, list[str]] = {}
    try:
        rate(request_uow(), code, pin, client_address(), parse_int(raw, 0, 9), comment)
    except ValidationFailed as exc:
        errors = flat_errors(exc.errors)
    except Conflict:
        pass  # already rated (a second tab) or not returned: the page below shows which
    except NotFound:
        return _track_page(code, problem="not-found", status=404)
    except TooManyAttempts as exc:
        return _too_many(code, exc)
    view, failed = _lookup(code, pin)
    if failed:
        return failed
    return _track_page(code, view, pin, rating_errors=errors, rated=not errors and view.dossier.rating is not None,
                       status=422 if errors else 200, comment=comment or "" if errors else "")
