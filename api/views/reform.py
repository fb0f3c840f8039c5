from __future__ import annotations

from flask import Blueprint, g, request

from engine.errors import ValidationFailed
from engine.procedures.packages import ProcedurePackage
from engine.reform.drafts import publish, save_draft, version_package, versions
from engine.reform.migration import migrate
from engine.reform.whatif import what_if

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("reform", __name__)
REFORMERS = ("designer", "reform_officer", "admin")


@bp.get("/procedures/<code>/versions")
@login_required()
@operation("Every version of a procedure: drafts and published ones, who published them and why",
           tag="reform", responses={200: schemas.VersionList()})
def list_versions(code: str):  # type: ignore[no-untyped-def]
    return respond(schemas.VersionList, {"items": versions(request_uow(), code)})


@bp.get("/procedures/<code>/versions/<int:number>/package")
@login_required()
@operation("A version's package as stored (procedure.toml, BPMN, forms): the designer edits it into a new "
           "draft; pages draw the diagram from it", tag="reform",
           responses={200: schemas.PackageOut(), 404: "unknown procedure or version"})
def package(code: str, number: int):  # type: ignore[no-untyped-def]
    return respond(schemas.PackageOut, version_package(request_uow(), code, number))


@bp.post("/procedures/<code>/drafts")
@login_required(*REFORMERS)
@operation("Store a package (procedure.toml, BPMN, DMN, forms) as a draft, with its validation problems; "
           "the same content again returns the version that has it", tag="reform", body=schemas.DraftIn(),
           responses={201: schemas.DraftOut(), 404: "unknown procedure", 422: "the package does not compile"})
def draft(code: str):  # type: ignore[no-untyped-def]
    body = g.body
    if body["code"] != code:
        raise ValidationFailed("the package is for another procedure", {"code": [f"Must be '{code}'."]})
    package = ProcedurePackage(code, {k: v.encode("utf-8") for k, v in body["files"].items()}, body["forms"])
    version, findings = save_draft(request_uow(), current_actor(), package, body.get("note", ""))
    return respond(schemas.DraftOut, {"version": version, "problems": [f.as_dict() for f in findings]}, 201)


@bp.post("/procedures/<code>/versions/<int:number>/publish")
@login_required(*REFORMERS)
@operation("Publish a draft: new dossiers take it; a draft with validation errors is refused (422)",
           tag="reform", body=schemas.PublishIn(), responses={200: schemas.VersionOut(), 409: "not a draft"})
def publish_version(code: str, number: int):  # type: ignore[no-untyped-def]
    return respond(schemas.VersionOut, publish(request_uow(), current_actor(), code, number, g.body["note"]))


@bp.get("/procedures/<code>/versions/<int:number>/what-if")
@login_required(*REFORMERS)
@operation("Replay the last months' finished dossiers against a version (?months=6): estimated working "
           "hours and on-time rate beside the actual ones (aggregates: no dossier or applicant is named)",
           tag="reform", responses={200: schemas.WhatIfOut()})
def replay(code: str, number: int):  # type: ignore[no-untyped-def]
    try:
        months = max(1, min(60, int(request.args.get("months", 6))))
    except ValueError:
        raise ValidationFailed("months must be a number", {"months": ["1 to 60."]}) from None
    return respond(schemas.WhatIfOut, what_if(request_uow(), current_actor(), code, number, months))


@bp.post("/procedures/<code>/migrations")
@login_required(*REFORMERS)
@operation("Move running dossiers (all, or `dossiers`) to a published version. With `dry_run` (the default) "
           "only report which can move and why the others cannot; each move is audited, and moving back "
           "is the same call with the old version.", tag="reform", body=schemas.MigrationIn(),
           responses={200: schemas.MigrationOut()})
def migrations(code: str):  # type: ignore[no-untyped-def]
    body = g.body
    report = migrate(request_uow(), current_actor(), code, body["to_version"], body.get("dossiers"), body["dry_run"])
    return respond(schemas.MigrationOut, report)
