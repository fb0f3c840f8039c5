from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import select

from engine.catalog import current_version
from engine.models import Procedure
from engine.specs import CompiledProcedure

from .. import schemas
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("procedures", __name__)


def _summary(compiled: CompiledProcedure) -> dict[str, Any]:
    return {**compiled.meta, "code": compiled.code, "version": compiled.version_number}


@bp.get("/procedures")
@operation("The procedure catalogue (current versions)", tag="procedures", public=True,
           responses={200: schemas.ProcedureList()})
def list_procedures():  # type: ignore[no-untyped-def]
    uow = request_uow()
    items = []
    for procedure in uow.session.scalars(select(Procedure).where(Procedure.current_version_id.is_not(None))
                                         .order_by(Procedure.code)):
        compiled = uow.cache.get(uow.session, procedure.current_version_id)
        items.append(_summary(compiled))
    return respond(schemas.ProcedureList(), {"items": items})


@bp.get("/procedures/<code>")
@operation("One procedure: legal facts, required documents, steps and the submission form",
           tag="procedures", public=True, responses={200: schemas.ProcedureDetail(), 404: "unknown code"})
def get_procedure(code: str):  # type: ignore[no-untyped-def]
    uow = request_uow()
    compiled = current_version(uow.session, uow.cache, code)
    body = _summary(compiled)
    body.update(content_hash=compiled.content_hash, steps=list(compiled.steps.values()),
                start_form=compiled.forms[compiled.start_form].schema_json if compiled.start_form else None)
    return respond(schemas.ProcedureDetail(), body)

