"""What goes into a dossier's package, read in one (reading) unit of work: the official documents as HTML (made
PDF later, outside any transaction), the attachments' bytes, the issued signed result, the dossier's audit
entries and its record. Plain data: safe to use once the unit of work is closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from engine.dossiers.documents import SUPPLEMENT_REQUESTS, DocumentRenderer, DocumentRequest, build_context
from engine.dossiers.models import Attachment, Dossier, Escalation
from engine.people.models import Unit, User
from engine.procedures.models import ProcedureVersion
from engine.results.service import result_pdf
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork

from .package import safe_name


class ArchiveUnavailable(Exception):
    """The package cannot be made now (a file of the dossier is missing, the result cannot be read)."""


@dataclass
class Contents:
    dossier_id: int
    code: str
    unit: str | None
    ended_at: datetime
    procedure_meta: dict[str, Any]
    documents: dict[str, str] = field(default_factory=dict)  # path -> HTML
    files: dict[str, bytes] = field(default_factory=dict)  # path -> bytes, as they go in the package


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ended_at(dossier: Dossier) -> datetime:
    """When the dossier ended: its result handed back, or its refusal, stop or withdrawal."""
    return dossier.returned_at or dossier.finished_at or dossier.updated_at


def document_kinds(dossier: Dossier, actions: set[str], apology: bool) -> list[str]:
    """The official documents (forms 01-06) that apply to this dossier."""
    kinds = ["receipt"] if dossier.received_at else []
    if actions & set(SUPPLEMENT_REQUESTS):
        kinds.append("supplement-request")
    if "refuse" in actions or dossier.status == "refused":
        kinds.append("refusal")
    if apology:
        kinds.append("apology")
    if dossier.status == "stopped":
        kinds.append("stop-notice")
    if dossier.received_at:
        kinds.append("control-sheet")
    return kinds


def collect(uow: UnitOfWork, dossier: Dossier, renderer: DocumentRenderer, upload_dir: Path,
            tracking_url: str = "/track") -> Contents:
    session = uow.session
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                                   .order_by(AuditEntry.seq)))
    apology = session.scalar(select(Escalation.id).where(Escalation.dossier_id == dossier.id,
                                                         Escalation.kind == "apology").limit(1)) is not None
    contents = Contents(dossier.id, dossier.code, dossier.competent_unit or dossier.reception_unit, ended_at(dossier),
                        compiled.meta)
    for kind in document_kinds(dossier, {e.action for e in entries}, apology):
        context = build_context(uow, dossier, DocumentRequest(kind, tracking_url=f"{tracking_url}?code={dossier.code}"))
        contents.documents[f"documents/{context['doc']['number']}-{kind}.pdf"] = renderer.render(kind, context)
    for row in session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id).order_by(Attachment.id)):
        try:
            data = (upload_dir / row.stored_path).read_bytes()
        except OSError:
            raise ArchiveUnavailable(f"dossier {dossier.code}: attachment {row.id} is missing from the upload "
                                     "folder") from None
        contents.files[f"attachments/{row.id:06d}-{safe_name(row.document)}-{safe_name(row.file_name)}"] = data
    result = result_pdf(uow, dossier)  # the issued, signed result; None when none was issued electronically
    if result is not None:
        contents.files["result/ket-qua.pdf"] = result
    names = {u.id: u.full_name for u in session.scalars(
        select(User).where(User.id.in_({e.actor_id for e in entries} - {None})))}
    contents.files["audit.json"] = _json([_audit_row(e, names) for e in entries])
    contents.files["dossier.json"] = _json(_record(session, dossier, compiled.meta))
    return contents


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)


def _audit_row(entry: AuditEntry, names: dict[int, str]) -> dict[str, Any]:
    return {"seq": entry.seq, "at": _iso(entry.at), "action": entry.action, "actor_id": entry.actor_id,
            "actor": names.get(entry.actor_id or 0), "unit": entry.actor_unit, "entity": entry.entity,
            "entity_id": entry.entity_id, "task_id": entry.task_id, "step": entry.step, "before": entry.before,
            "after": entry.after, "detail": entry.detail, "prev_hash": entry.prev_hash, "hash": entry.hash}


def _record(session: Any, dossier: Dossier, meta: dict[str, Any]) -> dict[str, Any]:
    version = session.get(ProcedureVersion, dossier.procedure_version_id)
    units = {u.code: u.name for u in session.scalars(select(Unit).where(
        Unit.code.in_({dossier.reception_unit, dossier.competent_unit} - {None})))}
    return {
        "code": dossier.code, "status": dossier.status, "channel": dossier.channel,
        "procedure": {"code": dossier.procedure_code, "name": meta["name"], "version": version.number if version
                      else None, "national_code": meta.get("national_code")},
        "applicant": dossier.applicant, "data": dossier.data, "received_documents": dossier.received_documents,
        "portal_code": dossier.portal_code, "result_delivery": dossier.result_delivery,
        "units": {"reception": {"code": dossier.reception_unit, "name": units.get(dossier.reception_unit or "")},
                  "competent": {"code": dossier.competent_unit, "name": units.get(dossier.competent_unit or "")}},
        "dates": {k: _iso(getattr(dossier, f"{k}_at")) for k in (
            "created", "received", "due", "processed", "returned", "finished", "payment_required", "paid",
            "fee_exempted", "rated")},
        "fee": {"amount": dossier.fee_amount, "paid_online": dossier.paid_online,
                "exemption_reason": dossier.fee_exemption_reason},
        "supplement_count": dossier.supplement_count, "rating": dossier.rating,
    }
