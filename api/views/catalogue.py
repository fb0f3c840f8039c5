"""POST /catalogue/imports: national procedure records as drafts (engine/reform/catalogue.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from engine.errors import ValidationFailed
from engine.reform.catalogue import Outcome, RecordsInvalid, import_records
from engine.reform.drafts import require_reformer

from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas import catalogue as schemas
from ..services import request_uow

bp = Blueprint("catalogue", __name__)
REFORMERS = ("designer", "reform_officer", "admin")


def outcome_out(outcome: Outcome, api_prefix: str = "/api/v1") -> dict[str, Any]:
    out = outcome.as_dict()
    made = outcome.status in ("created", "new_draft", "draft_open") and outcome.version is not None
    out["legal_facts"] = (f"{api_prefix}/procedures/{outcome.code}/versions/{outcome.version}/metadata"
                          if made else None)
    out["diff_page"] = (f"/designer/{outcome.code}/diff?from={outcome.diff_from}&to={outcome.version}"
                        if outcome.diff_from else None)
    return out


@bp.post("/catalogue/imports")
@login_required(*REFORMERS)
@operation("Import procedure records of the national database (LayThuTuc's format) as drafts: a new procedure "
           "for a national code Motcua lacks; a new draft of the procedure when its legal facts changed (with "
           "the diff page to review it); nothing when unchanged; refused records with the reason",
           tag="reform", body=schemas.CatalogueImportIn(),
           responses={200: schemas.CatalogueImportOut(), 422: "not a list of records"})
def import_catalogue():  # type: ignore[no-untyped-def]
    require_reformer(current_actor())  # a commune's administrator is no designer
    body = dict(g.body)
    try:
        outcomes = import_records(request_uow(), current_actor(), body["records"], body["codes"] or None)
    except RecordsInvalid as exc:
        raise ValidationFailed(exc.en, {"records": [exc.en]}) from None
    return respond(schemas.CatalogueImportOut, {"results": [outcome_out(o) for o in outcomes]})
