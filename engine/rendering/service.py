"""Rendering a document and keeping it: read what it says in one unit of work, render outside any transaction
(a bounded child process, seconds), then store the PDF and audit it in a new unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from engine.dossiers.documents import KINDS, DocumentRenderer, DocumentRequest, build_context
from engine.dossiers.models import Dossier
from engine.dossiers.service import find_dossier
from engine.errors import NotFound
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .pdf import html_to_pdf, template_to_pdf
from .result import result_context, template_sources
from .store import RenderedDocument, store_document

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class RenderedPdf:
    document: RenderedDocument
    pdf: bytes
    filename: str


def _keep(uow_factory: UowFactory, actor: Actor | None, actor_id: int | None, dossier_id: int | None,
          unit: str | None, kind: str, pdf: bytes, action: str) -> RenderedDocument:
    with uow_factory() as uow:
        doc = store_document(uow, dossier_id, kind, pdf, actor.user_id if actor else actor_id)
        uow.record(actor, action, "document", doc.id, unit=unit if actor is None else None, dossier_id=dossier_id,
                   detail={"kind": kind, "sha256": doc.sha256, "size": doc.size,
                           **({"actor_id": actor_id} if actor is None and actor_id else {})})
        uow.commit()
        uow.session.refresh(doc)
        uow.session.expunge(doc)  # plain data from here: leaving the unit of work (a rollback) expires nothing
    return doc


def render_document_pdf(uow_factory: UowFactory, renderer: DocumentRenderer, actor: Actor, code: str,
                        request: DocumentRequest) -> RenderedPdf:
    """Forms 01-06 as PDF/A for an officer who may see the dossier (404 otherwise); audited
    `document_rendered` with the kind and the SHA-256."""
    if request.kind not in KINDS:
        raise NotFound(f"unknown document '{request.kind}'")
    with uow_factory() as uow:
        dossier = find_dossier(uow.session, actor, code)
        html = renderer.render(request.kind, build_context(uow, dossier, request))
        dossier_id = dossier.id
    number, title = KINDS[request.kind]
    pdf = html_to_pdf(html, title=f"{title} – {code}")
    doc = _keep(uow_factory, actor, None, dossier_id, None, request.kind, pdf, "document_rendered")
    return RenderedPdf(doc, pdf, f"{code}-{number}.pdf")


def render_result(uow_factory: UowFactory, dossier_code: str, actor_id: int | None,
                  number: str | None = None, signed: bool = False) -> RenderedDocument:
    """The dossier's result document as PDF/A (not yet signed), stored and audited `result_rendered`. For the
    scheduler and the result's lifecycle: no access check (the caller decided)."""
    with uow_factory() as uow:
        dossier = uow.session.scalars(select(Dossier).where(Dossier.code == dossier_code)).first()
        if dossier is None:
            raise NotFound(f"dossier {dossier_code} does not exist")
        context = result_context(uow, dossier, number=number, signed=signed)
        dossier_id, unit = dossier.id, dossier.competent_unit
    sources, name = template_sources(context)
    pdf = template_to_pdf(sources, name, context, title=f"{context['result']['name']} – {dossier_code}")
    return _keep(uow_factory, None, actor_id, dossier_id, unit, "result", pdf, "result_rendered")


def result_pdf_for(uow_factory: UowFactory, actor: Actor, code: str) -> RenderedPdf:
    """The result document rendered now for an officer who may see the dossier: a draft (unsigned)."""
    with uow_factory() as uow:
        find_dossier(uow.session, actor, code)
    doc = render_result(uow_factory, code, actor.user_id)
    from .store import read_document

    with uow_factory() as uow:
        pdf = read_document(uow, doc)
    return RenderedPdf(doc, pdf, f"{code}-ket-qua.pdf")
