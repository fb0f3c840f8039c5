"""Reading a dossier's result document (officers, and Part V's citizen download) and who may sign it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.dossiers.access import may_see_dossier
from engine.dossiers.models import Dossier
from engine.errors import Conflict, Forbidden, NotFound
from engine.people.actors import Actor
from engine.people.models import User
from engine.rendering.store import DocumentDamaged, RenderedDocument, read_document
from engine.store.uow import UnitOfWork

from .models import ISSUED, ResultDocument


def issued_result(session: Session, dossier_id: int) -> ResultDocument | None:
    return session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier_id,
                                                        ResultDocument.state == ISSUED)).first()


def result_pdf(uow: UnitOfWork, dossier: Dossier) -> bytes | None:
    """The issued, signed PDF (its hash checked), or None when no result is issued."""
    row = issued_result(uow.session, dossier.id)
    doc = uow.session.get(RenderedDocument, row.signed_id) if row is not None and row.signed_id else None
    return read_document(uow, doc) if doc is not None else None


def result_of(uow: UnitOfWork, actor: Actor, code: str) -> tuple[Dossier, ResultDocument | None]:
    """The dossier an officer may see (404 otherwise) and its result row, if any."""
    dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code[:40])).first()
    if dossier is None or not may_see_dossier(actor, dossier):
        raise NotFound(f"dossier {code} does not exist")
    row = uow.session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)).first()
    return dossier, row


def may_sign(actor: Actor, dossier: Dossier) -> bool:
    return actor.has_role("leader", dossier.competent_unit)


def check_leader(actor: Actor, dossier: Dossier) -> None:
    if not may_sign(actor, dossier):
        raise Forbidden("only a leader of the dossier's competent unit signs its result")


def document(uow: UnitOfWork, doc_id: int | None) -> tuple[RenderedDocument, bytes] | None:
    """A stored document and its bytes; Conflict when its file is missing or no longer has its hash."""
    doc = uow.session.get(RenderedDocument, doc_id) if doc_id else None
    if doc is None:
        return None
    try:
        return doc, read_document(uow, doc)
    except DocumentDamaged:
        raise Conflict(f"the stored document {doc.id} is missing or damaged", reason="document-damaged") from None


def summary(uow: UnitOfWork, actor: Actor, dossier: Dossier, row: ResultDocument | None) -> dict[str, Any]:
    """What the officer's page and GET /dossiers/<code>/result show."""
    if row is None:
        return {"state": None, "may_sign": False}
    leader = uow.session.get(User, row.leader_id) if row.leader_id else None
    signed = uow.session.get(RenderedDocument, row.signed_id) if row.state == ISSUED and row.signed_id else None
    base = f"/api/v1/dossiers/{dossier.code}/result"
    return {"state": row.state, "number": row.number, "signer": leader.full_name if leader else None,
            "issued_at": row.issued_at, "sha256": signed.sha256 if signed else None, "error": row.error,
            "remote_requested_at": row.remote_requested_at, "may_sign": may_sign(actor, dossier),
            "links": {"draft": f"{base}/draft.pdf" if row.draft_id else None,
                      "pdf": f"{base}/signed.pdf" if signed else None}}


def result_card(uow: UnitOfWork, actor: Actor, dossier: Dossier) -> dict[str, Any] | None:
    """The officer dossier page's "Kết quả giải quyết" card (None: no result asked for)."""
    row = uow.session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)).first()
    return summary(uow, actor, dossier, row) if row is not None else None
