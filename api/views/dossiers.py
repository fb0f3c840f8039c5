from __future__ import annotations

from flask import Blueprint, g, request

from engine.dossiers.record import dossier_record
from engine.dossiers.service import Submission, get_dossier, submit

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("dossiers", __name__)


@bp.post("/dossiers")
@login_required("reception")
@operation("Submit a dossier. At the counter it is received at once: the legal clock starts and it runs to "
           "its first step; online and postal dossiers wait for `receive`. The response carries the "
           "tracking PIN, once. Send an Idempotency-Key header to make a retried submit return the first "
           "dossier instead of creating a second.", tag="dossiers",
           body=schemas.DossierCreate(),
           responses={201: schemas.DossierCreated(), 404: "unknown procedure", 422: "invalid data"})
def create_dossier():  # type: ignore[no-untyped-def]
    body = g.body
    key = request.headers.get("Idempotency-Key")
    sub = Submission(procedure=body["procedure"], applicant=body["applicant"], data=body["data"],
                     channel=body["channel"], submission_key=key[:100] if key else None,
                     competent_unit=body.get("competent_unit"))
    submitted = submit(request_uow(), current_actor(), sub)
    return respond(schemas.DossierCreated, submitted, 201,
                   headers={"Location": f"/api/v1/dossiers/{submitted.dossier.code}"})


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
