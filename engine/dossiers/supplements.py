"""Supplements online: what reception asks for (form 02), and the applicant's answer from the tracking page.

A request names documents of the procedure's list (by code) and/or what is missing in the officer's words, with
the written guidance. The applicant answers online (`supplement_upload.py`). Reception then accepts
(`supplement_received`: the clock resumes) or asks again (`request_supplement_again`: a new request, the clock
stays paused). Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import ValidationFailed
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .models import Attachment, Dossier, SupplementRequest
from .service import find_dossier

WAITING = ("open", "submitted")  # a request still waiting for the applicant or for reception
UNKNOWN = "The procedure has no such document."


@dataclass(frozen=True)
class SentFile:
    id: int
    document: str
    document_name: str
    name: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class SupplementView:
    """A request as the applicant and the officers read it: the documents named, never the files' bytes."""

    request: SupplementRequest
    documents: list[tuple[str, str]]  # (code, name) of the documents asked for
    files: list[SentFile]

    @property
    def waiting(self) -> bool:
        return self.request.state in WAITING


def _names(uow: UnitOfWork, dossier: Dossier) -> dict[str, str]:
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    return {d["code"]: d["name"] for d in compiled.meta.get("documents", [])}


def current_request(session: Session, dossier_id: int) -> SupplementRequest | None:
    """The dossier's latest request (whatever its state), or None."""
    return session.scalars(select(SupplementRequest).where(SupplementRequest.dossier_id == dossier_id)
                           .order_by(SupplementRequest.id.desc()).limit(1)).first()


def view_of(uow: UnitOfWork, dossier: Dossier, request: SupplementRequest | None = None) -> SupplementView | None:
    request = request or current_request(uow.session, dossier.id)
    if request is None:
        return None
    names = _names(uow, dossier)
    rows = uow.session.scalars(select(Attachment).where(Attachment.supplement_id == request.id)
                               .order_by(Attachment.id))
    files = [SentFile(a.id, a.document, names.get(a.document, a.document), a.file_name, a.size, a.uploaded_at)
             for a in rows]
    return SupplementView(request, [(c, names.get(c, c)) for c in request.documents], files)


def new_request(uow: UnitOfWork, dossier: Dossier, actor: Actor | None, params: dict[str, Any], now: datetime
                ) -> dict[str, Any]:
    """Record what is missing (validated against the procedure's documents) and the guidance; the audit
    detail of the action that asked."""
    names = _names(uow, dossier)
    codes = params.get("documents") or []
    missing = params.get("missing") or []
    errors: dict[str, list[str]] = {}
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors["documents"] = ["A list of document codes is expected."]
        codes = []
    unknown = [c for c in codes if c not in names]
    if unknown:
        errors["documents"] = [f"{UNKNOWN} ({', '.join(unknown)})"]
    if not isinstance(missing, list) or not all(isinstance(m, str) and m.strip() for m in missing):
        errors["missing"] = ["A non-empty list is required."]
        missing = []
    if not errors and not codes and not missing:
        errors["missing"] = ["Name the missing documents or say what is missing."]
    guidance = params.get("guidance", "")
    if not isinstance(guidance, str):
        errors["guidance"] = ["Not a valid string."]
    if errors:
        raise ValidationFailed("say what is missing: documents of the procedure's list, or in words", errors)
    codes = list(dict.fromkeys(codes))
    rounds = uow.session.scalar(select(func.count()).select_from(SupplementRequest)
                                .where(SupplementRequest.dossier_id == dossier.id)) or 0
    request = SupplementRequest(dossier_id=dossier.id, round=rounds + 1, documents=codes,
                                missing=[m.strip() for m in missing] or [names[c] for c in codes],
                                guidance=guidance.strip(), state="open", requested_at=now,
                                requested_by=actor.user_id if actor else None)
    uow.session.add(request)
    return {"missing": request.missing, "documents": codes, "guidance": request.guidance, "round": request.round}


def decide(session: Session, dossier: Dossier, state: str, actor: Actor | None, now: datetime) -> int | None:
    """Close the waiting request (accepted, asked_again, or closed when the dossier resumes or ends otherwise);
    returns its round."""
    request = current_request(session, dossier.id)
    if request is None or request.state not in WAITING:
        return None
    request.state, request.decided_at = state, now
    request.decided_by = actor.user_id if actor else None
    return request.round


def supplements_of(uow: UnitOfWork, actor: Actor, code: str) -> tuple[Dossier, list[SupplementView]]:
    """Every supplement request of a dossier the actor may see, newest first, with the files sent for each."""
    dossier = find_dossier(uow.session, actor, code)
    requests = uow.session.scalars(select(SupplementRequest).where(SupplementRequest.dossier_id == dossier.id)
                                   .order_by(SupplementRequest.id.desc()))
    return dossier, [v for r in requests if (v := view_of(uow, dossier, r)) is not None]
