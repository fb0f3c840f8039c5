from __future__ import annotations

from flask import Blueprint, g, request

from engine.dossiers.attachments import UploadLimits
from engine.dossiers.counter import CounterRegistration, HandedIn, register
from engine.dossiers.lookup import look_up
from engine.dossiers.record import dossier_record
from engine.dossiers.service import get_dossier

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
        submission_key=key[:100] if key else None)
    registered = register(request_uow(), current_actor(), reg, services().settings.upload_dir, upload_limits())
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
