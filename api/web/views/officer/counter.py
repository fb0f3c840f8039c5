"""The counter: a reception officer registers a walk-in's dossier (or one that came by post) in one flow. Find
the procedure, the applicant (typing the personal id or tax code offers what earlier dossiers hold, through
GET /api/v1/applicants/<key>), the declaration (form-js, checked again by the server), the papers handed in with
their kind, count and scans, how the result is wanted; then the receipt (form 01) or, when papers are missing,
the written guidance (form 02) is printed."""

from __future__ import annotations

import hashlib
import uuid
from base64 import b64encode
from typing import Any

from flask import make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from connectors.population.client import configured as population_configured
from engine.dossiers.applicants import DELIVERY, FIELDS
from engine.dossiers.attachments import ACCEPTED_EXTENSIONS
from engine.dossiers.counter import COUNTER_CHANNELS, PAPER_KINDS, CounterRegistration, HandedIn, register
from engine.dossiers.documents import DocumentRequest, render_document
from engine.dossiers.population import APPLICANT_FIELDS as POPULATION_FIELDS
from engine.dossiers.population import may_look_up
from engine.dossiers.portal import catalogue, competent_units
from engine.dossiers.service import find_dossier
from engine.errors import BadRequest, ValidationFailed
from engine.procedures.catalog import current_version
from engine.procedures.forms import without_applicant_fields
from engine.procedures.specs import CompiledProcedure
from engine.text import fold

from ....integers import parse_int
from ....operations import load_json
from ....services import public_url, request_uow, services
from ....views.dossiers import upload_limits
from ....views.portal_api import uploads_from_request
from ...form_errors import flat_errors, form_labels
from ...pages import page, page_actor
from .blueprint import bp

RECEIPT = "counter_receipt"  # session key: the last registration's code and PIN, for its printout
# The printed documents carry one inline handler (their print button); this page allows that one and no other.
_PRINT_HANDLER = "window.print()"
PRINT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'self'; script-src 'unsafe-hashes' "
                f"'sha256-{b64encode(hashlib.sha256(_PRINT_HANDLER.encode()).digest()).decode()}'")


def _search_text(compiled: CompiledProcedure) -> str:
    meta = compiled.meta
    return fold(" ".join([compiled.code, meta["name"]["vi"], meta["name"]["en"], meta["authority"]["vi"]]))


@bp.get("/counter")
@page("reception")
def counter() -> str:
    query = request.args.get("q", "")[:200]
    uow = request_uow()
    shown = {c.code for c in catalogue(uow, query)}
    procedures = [(c, _search_text(c), c.code in shown) for c in catalogue(uow)]
    return render_template("officer/counter_search.html", procedures=procedures, query=query, found=len(shown))


def _form_context(compiled: CompiledProcedure) -> dict[str, Any]:
    actor = page_actor()
    assert actor is not None
    settings = services().settings
    return {
        "p": {**compiled.meta, "code": compiled.code,
              # the fields repeating the applicant's details are not asked twice: the server fills them
              "start_form": without_applicant_fields(
                  compiled.forms[compiled.start_form].schema_json if compiled.start_form else None)},
        "units": competent_units(request_uow(), compiled), "own_unit": actor.unit_for("reception"),
        "kinds": PAPER_KINDS, "delivery": DELIVERY, "channels": COUNTER_CHANNELS,
        # the national database's look-up button: for those granted it, when a database is configured
        "population": may_look_up(actor) and population_configured(),
        "upload": {"max_bytes": settings.upload_max_bytes, "accept": ACCEPTED_EXTENSIONS + ",image/*"},
    }


def _render(compiled: CompiledProcedure, values: dict[str, Any], data: dict[str, Any],
            errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    errors = errors or {}
    context = _form_context(compiled)
    data_errors = {k[5:]: v for k, v in errors.items() if k == "data" or k.startswith("data.")}
    return render_template("officer/counter.html", values=values, data=data, errors=errors, data_errors=data_errors,
                           labels=form_labels((context["p"]["start_form"] or {}).get("components", [])),
                           **context), status


def _read_form(compiled: CompiledProcedure) -> tuple[dict[str, Any], list[HandedIn]]:
    """What the officer typed (kept for a re-render) and the papers ticked."""
    form = request.form
    values: dict[str, Any] = {f"applicant_{f}": form.get(f"applicant_{f}", "").strip()[:600] for f in FIELDS}
    for name in ("channel", "competent_unit", "result_delivery", "missing", "guidance", "token"):
        values[name] = form.get(name, "").strip()[:4000]
    values["reused"] = [f for f in form.getlist("reused") if f in FIELDS][:len(FIELDS)]
    values["population"] = [f for f in form.getlist("population") if f in POPULATION_FIELDS][:len(POPULATION_FIELDS)]
    values["population_lookup"] = parse_int(form.get("population_lookup", ""), 1, 2**31 - 1)
    handed: list[HandedIn] = []
    papers: dict[str, dict[str, Any]] = {}
    for doc in compiled.meta["documents"]:
        code = doc["code"]
        ticked = form.get(f"doc_{code}") == "on"
        kind = form.get(f"kind_{code}", "")
        quantity = parse_int(form.get(f"qty_{code}", ""), 0, 999)
        papers[code] = {"ticked": ticked, "kind": kind, "quantity": form.get(f"qty_{code}", "")[:4]}
        if ticked:
            handed.append(HandedIn(code, kind, quantity if quantity is not None else 0))
    values["papers"] = papers
    return values, handed


@bp.route("/counter/<code>", methods=["GET", "POST"])
@page("reception")
def counter_form(code: str) -> Response | tuple[str, int]:
    uow = request_uow()
    compiled = current_version(uow.session, uow.cache, code)
    if request.method == "GET":
        return _render(compiled, {"token": uuid.uuid4().hex, "channel": "counter", "result_delivery": "counter",
                                  "papers": {}, "reused": [], "population": []}, {})
    values, handed = _read_form(compiled)
    try:
        data = load_json(request.form.get("data") or "{}", "declaration")
    except BadRequest:
        data = None
    if not isinstance(data, dict):
        return _render(compiled, values, {}, {"data": ["The declaration could not be read."]}, 400)
    applicant = {f: values[f"applicant_{f}"] for f in FIELDS if values[f"applicant_{f}"]}
    if applicant.get("kind") != "business":  # what the hidden half of the form still holds is not the person's
        applicant.pop("tax_code", None)
        applicant.pop("representative", None)
    else:
        applicant.pop("id_number", None)
    reg = CounterRegistration(
        procedure=compiled.code, applicant=applicant, data=data, channel=values["channel"] or "counter",
        documents=handed, files=uploads_from_request(), result_delivery=values["result_delivery"] or None,
        reused_fields=[f for f in values["reused"] if f in applicant],
        missing=values["missing"].splitlines(), guidance=values["guidance"],
        competent_unit=values["competent_unit"] or None, submission_key=f"counter:{values['token'][:80]}",
        population_fields=[f for f in values["population"] if f in applicant],
        population_lookup=values["population_lookup"])
    try:
        done = register(uow, page_actor(), reg, services().settings.upload_dir, upload_limits())
    except ValidationFailed as exc:
        return _render(compiled, values, data, flat_errors(exc.errors), 422)
    dossier = done.submitted.dossier
    if done.submitted.pin is not None:
        session[RECEIPT] = {"code": dossier.code, "pin": done.submitted.pin}
    return redirect(url_for("officer.counter_done", code=dossier.code))


def _pin_for(code: str) -> str | None:
    kept = session.get(RECEIPT)
    return kept.get("pin") if isinstance(kept, dict) and kept.get("code") == code else None


@bp.get("/counter/done/<code>")
@page("reception")
def counter_done(code: str) -> tuple[str, int]:
    actor = page_actor()
    dossier = find_dossier(request_uow().session, actor, code)
    return render_template("officer/counter_done.html", dossier=dossier, pin=_pin_for(code),
                           kind="receipt" if dossier.received_at else "supplement-request"), 200


@bp.get("/counter/done/<code>/print")
@page("reception")
def counter_print(code: str) -> Response:
    """Form 01 (received) or 02 (guidance) with the PIN of the registration just made in this browser."""
    uow, actor = request_uow(), page_actor()
    dossier = find_dossier(uow.session, actor, code)
    kind = "receipt" if dossier.received_at else "supplement-request"
    req = DocumentRequest(kind=kind, pin=_pin_for(code), tracking_url=f"{public_url()}/track?code={code}")
    response = make_response(render_document(uow, services().documents, actor, code, req))
    response.headers["Content-Security-Policy"] = PRINT_POLICY
    return response
