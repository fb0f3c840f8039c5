"""Drafts and publishing: a draft is stored like any version (compiled, content-hashed) but new dossiers never
use it; publishing runs the validation and makes the draft current; published versions never change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import Conflict, Forbidden, InvalidPackage, NotFound, Problem
from engine.people.actors import Actor
from engine.people.organisation import known_roles
from engine.procedures.catalog import register_package
from engine.procedures.models import Procedure, ProcedureVersion
from engine.procedures.packages import ProcedurePackage
from engine.store.uow import UnitOfWork

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
            "process_id": row.process_id, "files": dict(row.files), "forms": dict(row.forms)}


def save_draft(uow: UnitOfWork, actor: Actor, package: ProcedurePackage, note: str = ""
               ) -> tuple[ProcedureVersion, list[Finding]]:
    """Store a package as a draft (or find the version that already has this content)."""
    require_reformer(actor)
    if uow.session.get(Procedure, package.code) is None:
        raise NotFound(f"procedure '{package.code}' does not exist")
    findings = validate_package(package, known_roles(uow.session))
    version, created = register_package(uow.session, uow.cache, package, make_current=False, keep_invalid=True)
    if created:
        version.note = note
        uow.record(actor, "draft_saved", "procedure", package.code, after={"version": version.number},
                   detail={"note": note, "content_hash": version.content_hash,
                           "errors": sum(f.severity == "error" for f in findings)})
    uow.commit()
    return version, findings


def publish(uow: UnitOfWork, actor: Actor, code: str, number: int, note: str) -> ProcedureVersion:
    require_reformer(actor)
    version = version_row(uow, code, number)
    if version.status != "draft":
        raise Conflict(f"version {number} is already {version.status}")
    findings = validate_package(package_of(version), known_roles(uow.session))
    if has_errors(findings):
        raise InvalidPackage([Problem(f.code, f.message_en, file=f.file, element=f.element)
                              for f in findings if f.severity == "error"])
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
    uow.commit()
    return version


def versions(uow: UnitOfWork, code: str) -> list[ProcedureVersion]:
    return list(uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
                                    .order_by(ProcedureVersion.number)))
