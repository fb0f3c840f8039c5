from __future__ import annotations

from typing import Any

from flask import Blueprint, g
from sqlalchemy import select
from werkzeug.routing import BaseConverter

from engine.people.organisation import known_roles
from engine.procedures.catalog import current_version
from engine.procedures.models import Procedure
from engine.procedures.packages import ProcedurePackage
from engine.procedures.specs import CompiledProcedure
from engine.reform.diff import describe, diff, version
from engine.reform.validation import has_errors, validate_package

from .. import schemas
from ..auth import login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("procedures", __name__)


class ProcedureCodeConverter(BaseConverter):
    """`<procedure:code>`: a procedure's code, never `validate` or `import`, the routes beside it: so that
    /procedures/validate and /procedures/import answer POST only, and say so in `Allow`."""

    regex = r"(?!(?:validate|import)(?![^/]))[^/]+"


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
    return respond(schemas.ProcedureList, {"items": items})


@bp.post("/procedures/validate")
@login_required("designer", "reform_officer", "admin")
@operation("Check a procedure package without storing it: each problem names its BPMN element, a code and a "
           "message in Vietnamese and English; errors would block publishing, warnings would not",
           tag="procedures", body=schemas.PackageIn(), responses={200: schemas.ValidationOut()})
def validate_package_view():  # type: ignore[no-untyped-def]
    body = g.body
    files = {name: text.encode("utf-8") for name, text in body["files"].items()}
    package = ProcedurePackage(code=body["code"], files=files, forms=body["forms"])
    findings = validate_package(package, known_roles(request_uow().session))
    return respond(schemas.ValidationOut, {"valid": not has_errors(findings),
                                             "problems": [f.as_dict() for f in findings]})


@bp.get("/procedures/<code>/diff")
@login_required("designer", "reform_officer", "admin", "leader")
@operation("What changes between two versions (?from=N&to=M, version numbers), as data and as readable lines",
           tag="procedures", query=schemas.DiffQuery(), responses={200: schemas.DiffOut(), 404: "unknown version"})
def diff_versions(code: str):  # type: ignore[no-untyped-def]
    uow = request_uow()
    change = diff(version(uow.session, uow.cache, code, g.query["from_"]),
                  version(uow.session, uow.cache, code, g.query["to"]))
    return respond(schemas.DiffOut, {**change, "text": describe(change)})


@bp.get("/procedures/<procedure:code>")
@operation("One procedure: legal facts, required documents, steps and the submission form",
           tag="procedures", public=True, responses={200: schemas.ProcedureDetail(), 404: "unknown code"})
def get_procedure(code: str):  # type: ignore[no-untyped-def]
    uow = request_uow()
    compiled = current_version(uow.session, uow.cache, code)
    body = _summary(compiled)
    body.update(content_hash=compiled.content_hash, steps=list(compiled.steps.values()),
                start_form=compiled.forms[compiled.start_form].schema_json if compiled.start_form else None)
    return respond(schemas.ProcedureDetail, body)

