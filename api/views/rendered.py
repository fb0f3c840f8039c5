"""Official documents as PDF/A for officers: forms 01-06 and the result document of a dossier, and form 07 (the
register). Each is rendered outside any transaction (a bounded child process), stored with its SHA-256 and
audited `document_rendered` / `result_rendered`; the response carries the hash in `X-Content-SHA256`."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, g, request

from engine.dossiers.documents import KINDS, DocumentRequest
from engine.errors import ValidationFailed
from engine.rendering.service import RenderedPdf, render_document_pdf, result_pdf_for
from engine.reporting.register_pdf import render_register_pdf

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation
from ..services import public_url, request_uow, services
from .dossiers import register_query

bp = Blueprint("rendered", __name__)
PDF_KINDS = ", ".join(f"`{k}` ({n})" for k, (n, _) in KINDS.items())


def pdf_response(rendered: RenderedPdf) -> Response:
    return Response(rendered.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{rendered.filename}"',
        "X-Content-SHA256": rendered.document.sha256, "Cache-Control": "no-store"})


def end_read_transaction() -> None:
    """The request has only read (the caller's account): end its transaction before the render, which takes
    seconds and must not hold one."""
    request_uow().session.rollback()


def document_request(code: str, kind: str) -> DocumentRequest:
    new_date = request.args.get("new_date")
    try:
        new_due = datetime.fromisoformat(f"{new_date}T17:00:00+07:00") if new_date else None
    except ValueError:
        raise ValidationFailed("bad date", {"new_date": ["Use YYYY-MM-DD."]}) from None
    pin = request.args.get("pin")
    return DocumentRequest(kind=kind, new_due_at=new_due, apology_reason=request.args.get("reason", "")[:1000],
                           pin=pin if pin and pin.isdigit() and len(pin) <= 10 else None,
                           tracking_url=f"{public_url()}/track?code={code}")


@bp.get("/dossiers/<code>/documents/<kind>.pdf")
@login_required()
@operation(f"An official document as PDF/A-2b on A4, fonts embedded: {PDF_KINDS}, or `result` (the result "
           "document from the procedure's template, unsigned). Same parameters as the HTML document. Rendered "
           "now, stored with its SHA-256 (header `X-Content-SHA256`) and audited; downloaded as "
           "`<code>-<form number>.pdf`.", tag="documents",
           responses={200: ("application/pdf", "the document"), 404: "unknown dossier or document",
                      422: "`render-failed`: the template could not be rendered (its `reason`: time-limit, "
                           "memory-limit, too-large, forbidden-url, template-error)"})
def document_pdf(code: str, kind: str):  # type: ignore[no-untyped-def]
    actor = current_actor()
    req = document_request(code, kind) if kind != "result" else None
    end_read_transaction()
    runtime = services()
    if req is None:
        return pdf_response(result_pdf_for(runtime.uow, actor, code))
    return pdf_response(render_document_pdf(runtime.uow, runtime.documents, actor, code, req))


@bp.get("/dossiers/export.pdf")
@login_required("reception", "specialist", "leader")
@operation("The register's result as form 07 (the dossier register), PDF/A on landscape A4: every row of the "
           "search (at most 2,000; more is a 422 asking for a narrower search). Same filters as `GET /dossiers`; "
           "stored and audited like the other documents.", tag="dossiers", query=schemas.RegisterExportIn(),
           responses={200: ("application/pdf", "the register, form 07"), 403: "not an officer",
                      404: "not one of your units", 422: "invalid filters, or too many rows"})
def register_pdf():  # type: ignore[no-untyped-def]
    g.query.pop("lang", None)
    actor = current_actor()
    end_read_transaction()
    runtime = services()
    return pdf_response(render_register_pdf(runtime.uow, runtime.documents, actor, register_query(g.query)))
