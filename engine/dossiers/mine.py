"""A signed-in citizen's own dossiers ("Hồ sơ của tôi"): every dossier whose applicant key and kind are theirs,
across channels and units, and one of them as the PIN tracking page shows it, without a PIN. The identity was
checked by the caller (the national single sign-on); another person's dossier is not found (404), exactly like an
unknown code. Also: the sign-in's audit entry, and which submitted applicant fields the identity vouches for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.errors import NotFound
from engine.store.uow import UnitOfWork

from .models import Dossier, TaskRecord
from .projection import CANCELLED, STEP_ORDER
from .situation import situation_of
from .tracking import PublicView

MAX_LISTED = 500  # a person's dossiers over years; a business may have more, the newest come first


@dataclass(frozen=True)
class OwnedDossier:
    code: str
    procedure_name: dict[str, str]
    status: str
    channel: str
    created_at: datetime
    due_at: datetime | None


def _owned(kind: str, key: str) -> Any:
    return select(Dossier).where(Dossier.applicant_key == key, Dossier.applicant_kind == kind)


def owned_dossiers(uow: UnitOfWork, kind: str, key: str) -> list[OwnedDossier]:
    found = uow.session.scalars(_owned(kind, key).order_by(Dossier.created_at.desc(), Dossier.id.desc())
                                .limit(MAX_LISTED))
    return [OwnedDossier(d.code, uow.cache.get(uow.session, d.procedure_version_id).meta["name"], d.status,
                         d.channel, d.created_at, d.due_at) for d in found]


def owned_dossier(uow: UnitOfWork, kind: str, key: str, code: str) -> Dossier:
    dossier = uow.session.scalars(_owned(kind, key).where(Dossier.code == code[:100])).first()
    if dossier is None:
        raise NotFound(f"dossier {code[:100]} does not exist")
    return dossier


def owned_view(uow: UnitOfWork, kind: str, key: str, code: str) -> PublicView:
    """What tracking.track shows, for the dossier's own applicant."""
    dossier = owned_dossier(uow, kind, key, code)
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    steps = list(uow.session.scalars(select(TaskRecord).where(
        TaskRecord.dossier_id == dossier.id, TaskRecord.state != CANCELLED).order_by(*STEP_ORDER)))
    return PublicView(dossier, compiled.meta["name"], steps, situation_of(uow, dossier))


def record_sign_in(uow: UnitOfWork, subject: str, kind: str, via: str, client: str | None) -> None:
    """The audit entry of a citizen's sign-in: the provider's pseudonymous subject, not the personal id (the
    audit log's readers need not see it; the subject leads to the person only through the provider)."""
    uow.record(None, "citizen_signed_in", "citizen", subject[:200], detail={"kind": kind, "via": via,
                                                                           "client": client})
    uow.commit()


def vouched_fields(submitted: dict[str, Any], claims: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(field -> "vneid" for each applicant field the identity gave, errors for those submitted otherwise)."""
    sources: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for field, value in claims.items():
        if field not in submitted:
            continue  # not a field of this form (e.g. the birth date)
        if submitted[field] != value:
            errors[f"applicant.{field}"] = ["Not the value of your electronic identity."]
        else:
            sources[field] = "vneid"
    return sources, errors
