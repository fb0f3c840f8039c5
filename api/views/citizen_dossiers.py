"""`GET /api/v1/citizen/dossiers`: the dossiers of the citizen signed in with VNeID in this browser (the pages'
session cookie; see docs/identity.md), newest first. No bearer token: officers' tokens are not citizens."""

from __future__ import annotations

from flask import Blueprint

from engine.dossiers.mine import owned_dossiers
from engine.errors import Unauthorized

from ..operations import operation, respond
from ..schemas import citizen_dossiers as schemas
from ..services import request_uow
from ..web.citizen import current_citizen

bp = Blueprint("citizen_dossiers", __name__)


@bp.get("/citizen/dossiers")
@operation("The signed-in citizen's own dossiers (applicant personal id or tax code = theirs), across channels and "
           "units, newest first. Needs the session cookie of a VNeID sign-in (`/citizen/login`); 401 otherwise.",
           tag="public", public=True, responses={200: schemas.OwnedDossierList(), 401: "not signed in with VNeID"})
def my_dossiers():  # type: ignore[no-untyped-def]
    citizen = current_citizen()
    if citizen is None:
        raise Unauthorized("sign in with VNeID first", reason="no-citizen-session")
    return respond(schemas.OwnedDossierList,
                   {"items": owned_dossiers(request_uow(), citizen["kind"], citizen["key"])})
