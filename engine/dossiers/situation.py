"""What the applicant must know about a dossier now, and what to do: the tracking page and the public API show it,
and the messages to the applicant say it. No personal data: the applicant's own name and contact never appear.

- a supplement is requested: the documents named, the officer's words, the guidance, the files sent so far;
- refused, stopped, withdrawn: the reasons recorded with the action;
- payment due: the amount, since when;
- result ready: the appointment and the place (the receiving unit's name, address and phone), and how the
  applicant asked to receive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.people.models import Unit
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork

from .models import Dossier
from .supplements import SupplementView, view_of

ENDING_ACTIONS = {"refused": "refuse", "stopped": "stop", "withdrawal_requested": "withdraw"}
KINDS = {"supplement_requested": "supplement", "refused": "refused", "stopped": "stopped",
         "withdrawal_requested": "withdrawn", "payment_required": "payment", "processed": "ready",
         "returned": "returned"}


@dataclass(frozen=True)
class Place:
    name: str
    address: str | None
    phone: str | None


@dataclass(frozen=True)
class Situation:
    kind: str | None  # supplement | refused | stopped | withdrawn | payment | ready | returned | None
    reasons: list[str] = field(default_factory=list)
    supplement: SupplementView | None = None
    amount: int | None = None  # VND, when a payment is due
    payment_required_at: datetime | None = None
    paid_at: datetime | None = None
    appointment: datetime | None = None  # when the result can be collected
    place: Place | None = None  # where: the unit that received the dossier
    result_delivery: str | None = None
    documents: list[tuple[str, str]] = field(default_factory=list)  # supplement: the procedure's whole list


def _reasons(uow: UnitOfWork, dossier: Dossier, action: str) -> list[str]:
    entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier.id,
                                                         AuditEntry.action == action)
                                .order_by(AuditEntry.seq.desc()).limit(1)).first()
    detail: dict[str, Any] = entry.detail if entry is not None else {}
    found = detail.get("reasons") or ([detail["reason"]] if detail.get("reason") else [])
    return [str(r) for r in found]


def place_of(uow: UnitOfWork, dossier: Dossier) -> Place | None:
    unit = uow.session.get(Unit, dossier.reception_unit) if dossier.reception_unit else None
    return Place(unit.name, unit.address, unit.phone) if unit is not None else None


def situation_of(uow: UnitOfWork, dossier: Dossier) -> Situation:
    kind = KINDS.get(dossier.status)
    if kind == "supplement":
        compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
        return Situation(kind, supplement=view_of(uow, dossier),
                         documents=[(d["code"], d["name"]) for d in compiled.meta.get("documents", [])])
    if dossier.status in ENDING_ACTIONS:
        return Situation(kind, reasons=_reasons(uow, dossier, ENDING_ACTIONS[dossier.status]))
    if kind == "payment":
        return Situation(kind, amount=dossier.fee_amount, payment_required_at=dossier.payment_required_at,
                         place=place_of(uow, dossier))
    if kind == "ready":
        return Situation(kind, appointment=dossier.due_at, place=place_of(uow, dossier),
                         result_delivery=dossier.result_delivery, amount=dossier.fee_amount or None,
                         paid_at=dossier.paid_at)
    return Situation(kind, place=place_of(uow, dossier) if kind == "returned" else None)
