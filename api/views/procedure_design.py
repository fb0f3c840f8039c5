"""Procedures made without touching a file: created from a template or a BPMN file, legal facts edited as
data, a version exported as its folder (.zip) and imported back. Everything lands as a draft (`save_draft`)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from engine.errors import BadRequest
from engine.procedures.archive import MAX_ARCHIVE_BYTES, export_archive
from engine.reform.creation import create_procedure, import_archive
from engine.reform.drafts import package_of, require_reformer, version_row
from engine.reform.legal_facts import facts_of, save_legal_facts

from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas import reform as schemas
from ..services import request_uow

bp = Blueprint("design", __name__)
REFORMERS = ("designer", "reform_officer", "admin")
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


@bp.post("/procedures")
@login_required(*REFORMERS)
@operation("Create a procedure from a template (the one-stop shape: receive, appraise, approve and sign, return "
           "the result; step budgets split from the legal time by `shares`), or from `bpmn`, a diagram made in "
           "another modeler; its first version is a draft", tag="reform", body=schemas.NewProcedureIn(),
           responses={201: schemas.NewProcedureOut(), 409: "the code is taken", 422: "invalid request or diagram"})
def create():  # type: ignore[no-untyped-def]
    require_reformer(current_actor())  # a commune's administrator is no designer
    version, findings = create_procedure(request_uow(), current_actor(), dict(g.body))
    return respond(schemas.NewProcedureOut, {"code": version.procedure_code, "version": version,
                                             "problems": [f.as_dict() for f in findings]}, 201)


@bp.get("/procedures/<code>/versions/<int:number>/metadata")
@login_required(*REFORMERS)
@operation("A version's legal facts (names, national code, level, authority, legal time and fee per channel, "
           "documents, result, legal sources)", tag="reform",
           responses={200: schemas.LegalFactsOut(), 404: "unknown procedure or version"})
def legal_facts(code: str, number: int):  # type: ignore[no-untyped-def]
    require_reformer(current_actor())
    row = version_row(request_uow(), code, number)
    return respond(schemas.LegalFactsOut, {"code": code, "number": number, "status": row.status,
                                           "facts": facts_of(row)})


@bp.put("/procedures/<code>/versions/<int:number>/metadata")
@login_required(*REFORMERS)
@operation("Write legal facts into a version's procedure.toml, stored as a draft (the same content again: the "
           "version that has it)", tag="reform", body=schemas.LegalFactsIn(),
           responses={200: schemas.DraftOut(), 404: "unknown procedure or version", 422: "invalid facts"})
def put_legal_facts(code: str, number: int):  # type: ignore[no-untyped-def]
    facts = dict(g.body)
    note, base_hash = facts.pop("note", ""), facts.pop("base_hash", None)
    version, findings = save_legal_facts(request_uow(), current_actor(), code, number, facts, note, base_hash)
    return respond(schemas.DraftOut, {"version": version, "problems": [f.as_dict() for f in findings]})


@bp.get("/procedures/<code>/versions/<int:number>/export")
@login_required(*REFORMERS)
@operation("A version as its folder in a .zip: procedure.toml, the BPMN and DMN files, forms/<name>.form",
           tag="reform", responses={200: "application/zip", 404: "unknown procedure or version"})
def export(code: str, number: int):  # type: ignore[no-untyped-def]
    require_reformer(current_actor())
    data = export_archive(package_of(version_row(request_uow(), code, number)))
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{code}-v{number}.zip"'})


@bp.post("/procedures/import")
@login_required(*REFORMERS)
@operation("Import a .zip made by export (the body, application/zip) as a new draft: of its procedure, or of a "
           "new procedure; sizes, names and file types are checked", tag="reform",
           responses={201: schemas.ImportOut(), 409: "draft-open: the procedure has a draft being edited (add "
                                                        "?replace=true to replace it)", 422: "not a procedure archive"})
def import_zip():  # type: ignore[no-untyped-def]
    require_reformer(current_actor())
    if request.mimetype not in ZIP_TYPES:
        raise BadRequest(f"expected application/zip, got {request.mimetype or 'nothing'}")
    if request.content_length and request.content_length > MAX_ARCHIVE_BYTES:
        raise BadRequest("the archive is larger than 10 MB")
    data = request.stream.read(MAX_ARCHIVE_BYTES + 1)
    replace = request.args.get("replace", "").lower() in ("1", "true", "yes")
    version, findings, new = import_archive(request_uow(), current_actor(), data, request.args.get("note", "")[:2000],
                                            replace_draft=replace)
    return respond(schemas.ImportOut, {"code": version.procedure_code, "version": version, "new_procedure": new,
                                       "problems": [f.as_dict() for f in findings]}, 201)
