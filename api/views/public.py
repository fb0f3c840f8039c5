from __future__ import annotations

from flask import Blueprint, g, request

from engine.dossiers.tracking import rate, track

from .. import schemas
from ..clients import client_address as _client
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("public", __name__)


@bp.get("/public/dossiers/<code>")
@operation("Track a dossier by its code and PIN (header X-Dossier-Pin, or ?pin=): status, appointment date "
           "and steps, without personal data. A wrong PIN gets the same 404 as an unknown code; repeated "
           "failures get 429.", tag="public", public=True,
           responses={200: schemas.PublicDossier(), 404: "unknown code or wrong PIN", 429: "too many failures"})
def public_dossier(code: str):  # type: ignore[no-untyped-def]
    pin = request.headers.get("X-Dossier-Pin") or request.args.get("pin")
    return respond(schemas.PublicDossier, track(request_uow(), code, pin, _client()))


@bp.post("/public/dossiers/<code>/rating")
@operation("The applicant rates the service once the result is returned (1 dissatisfied, 2 satisfied, "
           "3 very satisfied).", tag="public", public=True, body=schemas.RatingIn(),
           responses={200: schemas.RatingOut(), 404: "unknown code or wrong PIN", 409: "not returned yet, or "
                      "already rated", 429: "too many failures"})
def public_rating(code: str):  # type: ignore[no-untyped-def]
    body = g.body
    dossier = rate(request_uow(), code, body["pin"], _client(), body["rating"], body.get("comment"))
    return respond(schemas.RatingOut, dossier)
