"""Drafts and publishing: a draft is stored like any version (compiled, content-hashed) but new dossiers never
use it, and a save edits the open draft in place; publishing runs the validation and makes the draft current;
published versions never change. When publishing needs a second person, `approval.py` asks and decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import Conflict, Forbidden, InvalidPackage, NotFound, Problem
from engine.people.actors import Actor
from engine.people.organisation import known_roles
from engine.procedures.catalog import DraftChanged, register_package, replace_draft, version_with_content
from engine.procedures.models import Procedure, ProcedureVersion
from engine.procedures.packages import ProcedurePackage
from engine.store.uow import UnitOfWork

from .models import PublishRequest
from .validation import Finding, has_errors, validate_package

REFORM_ROLES = frozenset({"designer", "reform_officer", "admin"})


def is_reformer(actor: Actor) -> bool:
    return actor.works_on_procedures


def require_reformer(actor: Actor) -> None:
    if not is_reformer(actor):
        raise Forbidden("this needs the designer or reform officer role, or the administrator role at the top "
                        "of the organisation")


def version_row(uow: UnitOfWork, code: str, number: int) -> ProcedureVersion:
    row = uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code,
                                                             ProcedureVersion.number == number)).first()
    if row is None:
        raise NotFound(f"procedure {code} has no version {number}")
    return row


def package_of(row: ProcedureVersion) -> ProcedurePackage:
    return ProcedurePackage(row.procedure_code, {k: v.encode("utf-8") for k, v in row.files.items()}, row.forms)


def version_package(uow: UnitOfWork, code: str, number: int) -> dict[str, Any]:
    """A version's files and forms, as stored: what the designer opens to edit into a new draft, and what the
    officer's page draws the diagram from. Not secret, so any signed-in user may read it."""
    row = version_row(uow, code, number)
    return {"code": row.procedure_code, "number": row.number, "status": row.status,
            "content_hash": row.content_hash, "process_id": row.process_id, "files": dict(row.files),
            "forms": dict(row.forms)}


def open_draft(uow: UnitOfWork, code: str) -> ProcedureVersion | None:
    """The draft a save edits: the procedure's newest version, while it is still a draft."""
    newest = uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
                                 .order_by(ProcedureVersion.number.desc()).limit(1)).first()
    return newest if newest is not None and newest.status == "draft" else None


def save_draft(uow: UnitOfWork, actor: Actor, package: ProcedurePackage, note: str = "",
               base_hash: str | None = None) -> tuple[ProcedureVersion, list[Finding]]:
    """Store a package as the procedure's draft. The open draft is edited in place (its number stays); a new
    draft version is made only when there is none, e.g. after publishing. `base_hash` is the content hash of
    the version the designer opened: when the open draft holds anything else, someone else saved it since,
    and the save is refused (DraftChanged, 409) rather than overwrite their work; without it, the save
    overwrites. Content another version already has returns that version, and nothing changes."""
    require_reformer(actor)
    if uow.session.get(Procedure, package.code) is None:
        raise NotFound(f"procedure '{package.code}' does not exist")
    findings = validate_package(package, known_roles(uow.session))
    draft = open_draft(uow, package.code)
    if draft is not None and base_hash is not None and base_hash != draft.content_hash:
        raise DraftChanged(f"version {draft.number} of {package.code} was saved by someone else since it was "
                           "opened: open it again and redo the change", version=draft.number,
                           content_hash=draft.content_hash)
    existing = version_with_content(uow.session, package)
    if existing is not None:
        return existing, findings
    errors = sum(f.severity == "error" for f in findings)
    if draft is None:
        version, created = register_package(uow.session, uow.cache, package, make_current=False, keep_invalid=True)
        if created:
            version.note = note
            uow.record(actor, "draft_saved", "procedure", package.code,
                       after={"version": version.number, "content_hash": version.content_hash},
                       detail={"note": note, "content_hash": version.content_hash, "errors": errors})
        uow.commit()
        return version, findings
    before = draft.content_hash
    replace_draft(uow.session, uow.cache, draft, package, before)
    if note:
        draft.note = note
    voided = close_requests(uow, draft, "voided")
    uow.record(actor, "draft_saved", "procedure", package.code, before={"content_hash": before},
               after={"version": draft.number, "content_hash": package.content_hash},
               detail={"note": note, "content_hash": package.content_hash, "errors": errors, "in_place": True,
                       **({"voided_requests": voided} if voided else {})})
    uow.commit()
    return draft, findings


def close_requests(uow: UnitOfWork, version: ProcedureVersion, status: str) -> list[int]:
    """Close the draft's waiting publish request (its content changed, or it was published another way)."""
    waiting = list(uow.session.scalars(select(PublishRequest).where(PublishRequest.version_id == version.id,
                                                                    PublishRequest.status == "pending")))
    for request in waiting:
        request.status, request.decided_at = status, uow.clock()
    return [r.id for r in waiting]


class ApprovalRequired(Conflict):
    """Publishing needs a second person (MOTCUA_PUBLISH_APPROVAL=1): ask for it instead."""

    code = "approval-required"


def check_publishable(uow: UnitOfWork, code: str, number: int) -> ProcedureVersion:
    version = version_row(uow, code, number)
    if version.status != "draft":
        raise Conflict(f"version {number} is already {version.status}")
    findings = validate_package(package_of(version), known_roles(uow.session))
    if has_errors(findings):
        raise InvalidPackage([Problem(f.code, f.message_en, file=f.file, element=f.element)
                              for f in findings if f.severity == "error"])
    return version


def publish(uow: UnitOfWork, actor: Actor, code: str, number: int, note: str,
            approval_required: bool = False) -> ProcedureVersion:
    """Publish a draft at once; refused when the setting asks for a second person's approval."""
    require_reformer(actor)
    version = check_publishable(uow, code, number)
    if approval_required:
        raise ApprovalRequired(f"publishing {code} needs a second person's approval: request it "
                               f"(POST /procedures/{code}/versions/{number}/publish-request)")
    make_current(uow, actor, version, note)
    close_requests(uow, version, "voided")
    uow.commit()
    return version


def make_current(uow: UnitOfWork, actor: Actor, version: ProcedureVersion, note: str) -> None:
    """The publication itself, audited; the caller commits."""
    code, number = version.procedure_code, version.number
    procedure = uow.session.get(Procedure, code)
    assert procedure is not None
    before = procedure.current_version_id
    now = uow.clock()
    version.status, version.published_at, version.published_by = "published", now, actor.user_id
    version.note = note or version.note
    procedure.current_version_id = version.id
    procedure.name_vi, procedure.name_en = version.meta["name"]["vi"], version.meta["name"]["en"]
    uow.record(actor, "version_published", "procedure", code, before={"current_version_id": before},
               after={"current_version_id": version.id, "version": number}, detail={"note": note})


def versions(uow: UnitOfWork, code: str) -> list[ProcedureVersion]:
    return list(uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
                                    .order_by(ProcedureVersion.number)))
