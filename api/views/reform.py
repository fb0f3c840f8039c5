from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, g, request

from engine.errors import ValidationFailed
from engine.procedures.packages import ProcedurePackage
from engine.reform.approval import approve, reject, request_publication, request_rows, require_reviewer
from engine.reform.drafts import publish, save_draft, version_package, versions
from engine.reform.migration import migrate
from engine.reform.whatif import what_if

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas import reform as approval_schemas
from ..services import request_uow, services

bp = Blueprint("reform", __name__)
REFORMERS = ("designer", "reform_officer", "admin")
REVIEWERS = (*REFORMERS, "leader")  # a leader of a top-level unit: the engine checks which unit


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
@operation("Store a package (procedure.toml, BPMN, DMN, forms) as the procedure's draft, with its validation "
           "problems: the open draft (the newest version, not yet published) is edited in place, a new draft "
           "version is made only when there is none; the same content as a stored version returns that version. "
           "With `base_hash`, a draft someone else saved since is not overwritten (409 `draft-changed`)",
           tag="reform", body=schemas.DraftIn(),
           responses={201: schemas.DraftOut(), 404: "unknown procedure", 409: "the draft was saved by someone else",
                      422: "the package cannot be read"})
def draft(code: str):  # type: ignore[no-untyped-def]
    body = g.body
    if body["code"] != code:
        raise ValidationFailed("the package is for another procedure", {"code": [f"Must be '{code}'."]})
    package = ProcedurePackage(code, {k: v.encode("utf-8") for k, v in body["files"].items()}, body["forms"])
    version, findings = save_draft(request_uow(), current_actor(), package, body.get("note", ""), body.get("base_hash"))
    return respond(schemas.DraftOut, {"version": version, "problems": [f.as_dict() for f in findings]}, 201)


@bp.post("/procedures/<code>/versions/<int:number>/publish")
@login_required(*REFORMERS)
@operation("Publish a draft: new dossiers take it; a draft with validation errors is refused (422). When "
           "publishing needs a second person (MOTCUA_PUBLISH_APPROVAL=1) this answers 409 `approval-required`: "
           "request it with `publish-request`", tag="reform", body=schemas.PublishIn(),
           responses={200: schemas.VersionOut(), 409: "not a draft, or approval required"})
def publish_version(code: str, number: int):  # type: ignore[no-untyped-def]
    return respond(schemas.VersionOut, publish(request_uow(), current_actor(), code, number, g.body["note"],
                                               approval_required=services().settings.publish_approval))


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


# Publishing with a second person's approval (MOTCUA_PUBLISH_APPROVAL=1): ask, list, approve, send back.
def _row(code: str, number: int, request_id: int) -> dict[str, Any]:
    return next(asdict(r) for r in request_rows(request_uow(), code, number) if r.id == request_id)


@bp.post("/procedures/<code>/versions/<int:number>/publish-request")
@login_required(*REFORMERS)
@operation("Ask for a clean draft to be published by a second person, with the reason (the publication's "
           "note); reviewers are told. Any later save of the draft voids the request", tag="reform",
           body=approval_schemas.PublishRequestIn(),
           responses={201: approval_schemas.PublishRequestOut(), 409: "not a draft, or a request already waits",
                      422: "the draft has validation errors"})
def publish_request(code: str, number: int):  # type: ignore[no-untyped-def]
    made = request_publication(request_uow(), current_actor(), code, number, g.body["note"])
    return respond(approval_schemas.PublishRequestOut, _row(code, number, made.id), 201)


@bp.get("/procedures/<code>/versions/<int:number>/publish-requests")
@login_required(*REVIEWERS)
@operation("A version's publish requests, newest first, with who decided and why", tag="reform",
           responses={200: approval_schemas.PublishRequestList()})
def version_requests(code: str, number: int):  # type: ignore[no-untyped-def]
    require_reviewer(current_actor())
    rows = request_rows(request_uow(), code, number)
    return respond(approval_schemas.PublishRequestList, {"items": [asdict(r) for r in rows]})


@bp.get("/publish-requests")
@login_required(*REVIEWERS)
@operation("Publish requests waiting for a decision, of every procedure", tag="reform",
           responses={200: approval_schemas.PublishRequestList()})
def waiting_requests():  # type: ignore[no-untyped-def]
    require_reviewer(current_actor())
    rows = request_rows(request_uow(), pending_only=True)
    return respond(approval_schemas.PublishRequestList, {"items": [asdict(r) for r in rows]})


@bp.post("/procedures/<code>/versions/<int:number>/publish-request/approve")
@login_required(*REVIEWERS)
@operation("Approve the waiting request: the draft is published with the requester's note. Never by the "
           "person who asked (403)", tag="reform", body=approval_schemas.ApproveIn(),
           responses={200: schemas.VersionOut(), 403: "the requester, or not a reviewer",
                      409: "no request waits, or the draft changed"})
def approve_request(code: str, number: int):  # type: ignore[no-untyped-def]
    return respond(schemas.VersionOut, approve(request_uow(), current_actor(), code, number, g.body["note"]))


@bp.post("/procedures/<code>/versions/<int:number>/publish-request/reject")
@login_required(*REVIEWERS)
@operation("Send the waiting request back with a reason: the draft stays a draft. Never by the person who "
           "asked (403)", tag="reform", body=approval_schemas.RejectIn(),
           responses={200: approval_schemas.PublishRequestOut(), 403: "the requester, or not a reviewer",
                      409: "no request waits"})
def reject_request(code: str, number: int):  # type: ignore[no-untyped-def]
    done = reject(request_uow(), current_actor(), code, number, g.body["reason"])
    return respond(approval_schemas.PublishRequestOut, _row(code, number, done.id))
