from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, g, request

from engine.dossiers.attachments import UploadLimits
from engine.dossiers.counter import CounterRegistration, HandedIn
from engine.dossiers.counter import register as register_at_counter
from engine.dossiers.lookup import look_up
from engine.dossiers.overdue import is_overdue
from engine.dossiers.record import dossier_record
from engine.dossiers.register import DATE_RANGES, DateRange, RegisterQuery, search
from engine.dossiers.service import get_dossier
from engine.dossiers.status import STATUS_CODES
from engine.people.actors import Actor
from engine.reporting.register_form import register_csv

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow, services

bp = Blueprint("dossiers", __name__)


def upload_limits() -> UploadLimits:
    settings = services().settings
    return UploadLimits(settings.upload_max_bytes, settings.upload_max_files, settings.upload_max_files_per_document)


@bp.post("/dossiers")
@login_required("reception")
@operation("Submit a dossier. At the counter it is received at once: the legal clock starts and it runs to "
           "its first step; online and postal dossiers wait for `receive`. With `documents` (the papers handed "
           "in, at the counter or by post) it is received only when every required document is there; "
           "otherwise it is registered, not received, and the written guidance (form 02) lists what is "
           "missing (`missing_documents`). `reused_fields` names the applicant data confirmed from "
           "GET /applicants/{key}. The response carries the "
           "tracking PIN, once. Send an Idempotency-Key header to make a retried submit return the first "
           "dossier instead of creating a second.", tag="dossiers",
           body=schemas.DossierCreate(),
           responses={201: schemas.DossierCreated(), 404: "unknown procedure", 422: "invalid data"})
def create_dossier():  # type: ignore[no-untyped-def]
    body = g.body
    key = request.headers.get("Idempotency-Key")
    documents = body.get("documents")
    reg = CounterRegistration(
        procedure=body["procedure"], applicant=body["applicant"], data=body["data"], channel=body["channel"],
        documents=None if documents is None else [HandedIn(d["code"], d["kind"], d["quantity"]) for d in documents],
        result_delivery=body.get("result_delivery"), reused_fields=body["reused_fields"], missing=body["missing"],
        guidance=body["guidance"], competent_unit=body.get("competent_unit"),
        submission_key=key[:100] if key else None, population_fields=body["population_fields"],
        population_lookup=body.get("population_lookup"))
    registered = register_at_counter(request_uow(), current_actor(), reg, services().settings.upload_dir,
                                     upload_limits())
    submitted = registered.submitted
    return respond(schemas.DossierCreated, submitted, 201,
                   headers={"Location": f"/api/v1/dossiers/{submitted.dossier.code}"})


@bp.get("/applicants/<key>")
@login_required("reception")
@operation("What earlier dossiers already hold of an applicant, by 12-digit personal id or tax code, for the "
           "counter to confirm instead of asking again: the newest dossier in the reception units of the caller "
           "wins. One entry per source (today Motcua's own dossiers; the national population database later). "
           "404 when nothing is known in the caller's units, whether or not other units know the applicant.",
           tag="dossiers", responses={200: schemas.ApplicantLookup(), 403: "not a reception officer",
                                      404: "nothing known in your units", 422: "not a personal id or tax code"})
def lookup_applicant(key: str):  # type: ignore[no-untyped-def]
    found = look_up(request_uow(), current_actor(), key)
    return respond(schemas.ApplicantLookup, {"key": key, "found": found})


@bp.get("/dossiers/<code>")
@login_required()
@operation("A dossier: status, open steps, completed steps and history", tag="dossiers",
           responses={200: schemas.DossierOut(), 404: "unknown code"})
def read_dossier(code: str):  # type: ignore[no-untyped-def]
    return respond(schemas.DossierOut, get_dossier(request_uow(), current_actor(), code))


@bp.get("/dossiers/<code>/steps")
@login_required()
@operation("What the officers of the dossier's units read of it: the citizen's declaration and every step in "
           "the order it happened, with what was submitted at each (the specialist's appraisal, the draft "
           "result), who completed it and when; each value labelled from the form it was entered in",
           tag="dossiers", responses={200: schemas.DossierStepsOut(), 404: "unknown code, or outside your units"})
def read_steps(code: str):  # type: ignore[no-untyped-def]
    return respond(schemas.DossierStepsOut, dossier_record(request_uow(), current_actor(), code))
@bp.get("/dossiers")
@login_required("reception", "specialist", "leader")
@operation("The dossier register: every dossier of your units, whatever its state. Search by code, applicant "
           "name (diacritics ignored), personal id or tax code, business name; filter by procedure, unit, "
           "status, channel, received / due / finished local dates, overdue, paused; sort by received, due, "
           "finished date or code, either way; page by `offset` (up to 10,000) or by the `next_cursor`. The "
           "total is exact when counting is cheap, and otherwise says what it is (`total_kind`).", tag="dossiers",
           query=schemas.RegisterQueryIn(),
           responses={200: schemas.RegisterPageOut(), 403: "not an officer", 404: "not one of your units",
                      422: "invalid filters"})
def register():  # type: ignore[no-untyped-def]
    uow = request_uow()
    query = register_query(g.query)
    page = search(uow, current_actor(), query)
    now = uow.clock()
    items = [{**row._mapping, "status_code": STATUS_CODES.get(row.status), "overdue": is_overdue(row, now)}
             for row in page.items]
    return respond(schemas.RegisterPageOut, {"items": items, "total": page.total, "total_kind": page.total_kind,
                                             "limit": query.limit, "offset": query.offset,
                                             "next_cursor": page.next_cursor})


@bp.get("/dossiers/export.csv")
@login_required("reception", "specialist", "leader")
@operation("The register's result as form 07 (the dossier register), CSV for a Vietnamese-locale spreadsheet: "
           "UTF-8 with a byte-order mark, `;` between cells, dd/mm/yyyy dates in local time; streamed, every "
           "row of the search in its order (no paging). Same filters as `GET /dossiers`.", tag="dossiers",
           query=schemas.RegisterExportIn(),
           responses={200: ("text/csv", "the register, form 07"), 403: "not an officer",
                      404: "not one of your units", 422: "invalid filters"})
def register_export():  # type: ignore[no-untyped-def]
    lang = g.query.pop("lang")
    return register_download(current_actor(), register_query(g.query), lang)


def register_query(q: dict[str, Any]) -> RegisterQuery:
    """The register's query from the API's (or a page's) checked parameters."""
    ranges = {name: DateRange(q.get(f"{name}_from"), q.get(f"{name}_to")) for name in DATE_RANGES}
    statuses = tuple(s for s in (q.get("status") or "").split(",") if s)
    return RegisterQuery(q=q.get("q"), procedure=q.get("procedure"), unit=q.get("unit"), statuses=statuses,
                         channel=q.get("channel"), overdue=q.get("overdue"), paused=q.get("paused"),
                         sort=q.get("sort", "received"), order=q.get("order", "desc"), limit=q.get("limit", 50),
                         offset=q.get("offset", 0), after=q.get("after"), **ranges)


def register_download(actor: Actor, query: RegisterQuery, lang: str) -> Response:
    """Form 07 streamed. The stream has a unit of work of its own, closed with its last piece: the request's
    is closed when the view returns, before a long export is sent. The search is checked first, so that a bad
    filter is the caller's error (422 or the page), never a broken download."""
    uow = services().uow().__enter__()
    try:
        pieces = register_csv(uow, actor, query, lang)
    except BaseException:
        uow.__exit__(None, None, None)
        raise

    def body() -> Iterator[bytes]:
        try:
            yield from pieces
        finally:
            uow.__exit__(None, None, None)

    return Response(body(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="so-theo-doi-ho-so.csv"', "Cache-Control": "no-store"})
