"""The counter's look-up: what is already known of an applicant, by personal id or tax code, so that the officer
confirms data instead of typing it again (and the dossier records which data were reused).

Each place that may know an applicant is an `ApplicantSource`. The first is Motcua itself: the newest of the
earlier dossiers, in the units the officer receives for, with that key. The national population database
(VNeID) will be a second source behind the same interface; `look_up` asks each in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .applicants import PERSON_ID, TAX_CODE
from .models import Dossier

# The applicant data a source may offer (the dossier's `applicant` keys); the kind and key are the question.
REUSABLE = ("name", "id_number", "tax_code", "representative", "phone", "email", "address")


@dataclass(frozen=True)
class Known:
    """What one source holds of an applicant."""

    source: str  # "motcua" (earlier dossiers); later "vneid"
    kind: str
    key: str
    fields: dict[str, str]
    dossier_code: str | None = None  # the earlier dossier it came from
    as_of: datetime | None = None


class ApplicantSource(Protocol):
    name: str

    def find(self, uow: UnitOfWork, actor: Actor, kind: str, key: str) -> Known | None: ...


def lookup_units(actor: Actor) -> frozenset[str]:
    """Whose earlier dossiers an officer may draw on: the units they receive dossiers for."""
    return frozenset(actor.scope.get("reception", ()))


class EarlierDossiers:
    """Motcua's own dossiers: the newest one in the officer's units with this key wins."""

    name = "motcua"

    def find(self, uow: UnitOfWork, actor: Actor, kind: str, key: str) -> Known | None:
        units = lookup_units(actor)
        if not units:
            return None
        row = uow.session.execute(
            select(Dossier.code, Dossier.applicant, Dossier.created_at)
            .where(Dossier.applicant_key == key, Dossier.applicant_kind == kind,
                   (Dossier.reception_unit.in_(units)) | (Dossier.competent_unit.in_(units)))
            .order_by(Dossier.created_at.desc(), Dossier.id.desc()).limit(1)).first()
        if row is None:
            return None
        applicant: dict[str, Any] = row.applicant or {}
        keyed = "tax_code" if kind == "business" else "id_number"  # the question, typed: not data reused
        found = {f: applicant[f] for f in REUSABLE if f != keyed and isinstance(applicant.get(f), str) and applicant[f]}
        return Known(self.name, kind, key, found, row.code, row.created_at)


SOURCES: tuple[ApplicantSource, ...] = (EarlierDossiers(),)


def key_kind(key: str) -> str:
    """A 12-digit personal id is a person's; a tax code (10 digits, or 13 as 0123456789-001) a business's."""
    if PERSON_ID.match(key):
        return "person"
    if TAX_CODE.match(key):
        return "business"
    raise ValidationFailed("not a personal id or a tax code",
                           {"key": ["A 12-digit personal id, or a tax code of 10 digits (or 10-3)."]})


def look_up(uow: UnitOfWork, actor: Actor, key: str,
            sources: Sequence[ApplicantSource] = SOURCES) -> list[Known]:
    """What each source holds of the applicant with this key; only reception officers may ask, and they learn
    only of dossiers of their own units (none found, in their units or at all: 404 alike)."""
    if not lookup_units(actor):
        raise Forbidden("looking an applicant up is for reception officers")
    kind = key_kind(key)
    found = [known for source in sources if (known := source.find(uow, actor, kind, key)) is not None]
    if not found:
        raise NotFound("nothing is known of this applicant in your units")
    return found


def check_reused(uow: UnitOfWork, actor: Actor, applicant: dict[str, Any], reused: Sequence[str],
                 sources: Sequence[ApplicantSource] = SOURCES) -> list[str]:
    """The fields the officer says were reused, checked against what the sources hold: each must be offered
    by one of them with the very value the dossier carries (the "data reused" figure counts them)."""
    if not reused:
        return []
    unknown = sorted(set(reused) - set(REUSABLE))
    if unknown:
        raise ValidationFailed(f"unknown applicant fields: {', '.join(unknown)}",
                               {"reused_fields": ["Choose one of the listed options."]})
    key = applicant.get("tax_code") if applicant.get("kind") == "business" else applicant.get("id_number")
    kind = applicant.get("kind") or "person"
    known = [k for s in sources if isinstance(key, str) and (k := s.find(uow, actor, kind, key)) is not None]
    differ = [f for f in dict.fromkeys(reused)
              if not any(k.fields.get(f) is not None and k.fields.get(f) == applicant.get(f) for k in known)]
    if differ:
        raise ValidationFailed(f"not the data on file: {', '.join(differ)}",
                               {"reused_fields": ["Reused data must be the data on file."]})
    return list(dict.fromkeys(reused))
