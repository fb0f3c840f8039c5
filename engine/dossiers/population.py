"""Asking the national population database about a person, for a dossier and a purpose.

Only officers holding the role `population_lookup` in a unit may ask (in Ca Mau 584 of 1,794 accounts), each
question names a dossier (one of the officer's, or the counter's registration in progress) and a purpose, and
each is logged (models.PopulationLookup) and audited, a failed one too. The question itself is asked OUTSIDE any
transaction: the read one is ended first, the answer is recorded in a transaction of its own afterwards.

The engine does not know the connector: the caller hands in `fetch(personal_id, asking)`, which returns the
person's data, None (no such person), or raises `LookupFailed` (the database could not answer).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .applicants import PERSON_ID
from .models import PopulationLookup
from .service import find_dossier

RIGHT = "population_lookup"  # the role that grants the look-up, held in a unit
CITIZEN_PURPOSE = "công dân tự khai trực tuyến"
MAX_PURPOSE, MIN_PURPOSE = 500, 3
# which applicant field each of the database's fields may fill (the first is the one prefilled)
APPLICANT_FIELDS: dict[str, tuple[str, ...]] = {"name": ("name",), "address": ("permanent_address", "current_address")}


class LookupFailed(Exception):
    """Raised by `fetch` when the database could not answer (down, slow, refused)."""


class SourceUnavailable(Conflict):
    title = "Population database unavailable"
    code = "population-unavailable"


@dataclass(frozen=True)
class Asking:
    """What the database is told along with the question."""

    purpose: str
    officer: str
    unit: str
    reference: str


@dataclass(frozen=True)
class Person:
    fields: dict[str, str]  # name, birth_date, gender, permanent_address, current_address
    household: dict[str, Any] = field(default_factory=dict)


Fetch = Callable[[str, Asking], Person | None]


@dataclass(frozen=True)
class Answer:
    lookup_id: int  # the registration names it to prove its population-sourced fields
    fields: dict[str, str]
    household: dict[str, Any]
    applicant: dict[str, str]  # the dossier's applicant fields these fill


# Keyed hashes: the log proves a value came from the database without keeping it. The key is the installation's
# secret (uow.pin_secret), so a stolen log cannot be matched against guessed ids.
def _mac(uow: UnitOfWork, text: str) -> str:
    return hmac.new(f"population:{uow.pin_secret}".encode(), text.encode(), hashlib.sha256).hexdigest()


def key_digest(uow: UnitOfWork, personal_id: str) -> str:
    return _mac(uow, f"id|{personal_id}")


def value_digest(uow: UnitOfWork, key_hash: str, field: str, value: str) -> str:
    """Bound to the person and the field: a name proven for one person proves nothing for another."""
    return _mac(uow, f"value|{key_hash}|{field}|{value.strip()}")


def right_units(actor: Actor) -> list[str]:
    """The units where the actor holds the right; those they also receive for first."""
    units = actor.scope.get(RIGHT, frozenset())
    return sorted(units, key=lambda u: (u not in actor.scope.get("reception", ()), u))


def may_look_up(actor: Actor | None) -> bool:
    return actor is not None and bool(right_units(actor))


def look_up_person(uow: UnitOfWork, actor: Actor, personal_id: str, purpose: str, fetch: Fetch, *,
                   dossier_code: str | None = None, reference: str | None = None) -> Answer:
    """An officer's question, for a dossier of theirs (`dossier_code`) or the registration they are making
    (`reference`). 403 without the right, 422 for a bad id, no purpose or no dossier, 404 for no such person,
    409 when the database could not answer (recorded all the same)."""
    units = right_units(actor)
    if not units:
        raise Forbidden("looking a person up in the population database needs the right to (population_lookup)")
    purpose = (purpose or "").strip()
    errors: dict[str, list[str]] = {}
    if not PERSON_ID.match(personal_id or ""):
        errors["personal_id"] = ["12 digits expected."]
    if not MIN_PURPOSE <= len(purpose) <= MAX_PURPOSE:
        errors["purpose"] = ["Say what the look-up is for (3 to 500 characters)."]
    reference = (reference or "").strip()[:120] or None
    if not dossier_code and not reference:
        errors["dossier_code"] = ["A look-up is for a dossier: name it, or the registration in progress."]
    if errors:
        raise ValidationFailed("the look-up is not valid", errors)
    if dossier_code:
        find_dossier(uow.session, actor, dossier_code)  # one of the officer's dossiers (404 otherwise)
    asking = Asking(purpose, actor.username, units[0], dossier_code or reference or "")
    return _ask(uow, actor, None, personal_id, asking, fetch, dossier_code, reference)


def look_up_own(uow: UnitOfWork, citizen: dict[str, Any], fetch: Fetch) -> Answer:
    """The signed-in citizen's own data (contract: session["citizen"]), to prefill an online declaration: a
    person only, for their own personal id; logged and audited with the citizen as the one asking."""
    if not isinstance(citizen, dict) or citizen.get("kind") != "person" or not citizen.get("subject"):
        raise Forbidden("only a signed-in citizen may look up their own data")
    key = str(citizen.get("key") or "")
    if not PERSON_ID.match(key):
        raise ValidationFailed("the identity carries no personal id", {"personal_id": ["12 digits expected."]})
    subject = str(citizen["subject"])[:200]
    asking = Asking(CITIZEN_PURPOSE, f"citizen:{subject}", "", f"citizen:{subject}"[:120])
    return _ask(uow, None, subject, key, asking, fetch, None, asking.reference)


def _ask(uow: UnitOfWork, actor: Actor | None, subject: str | None, personal_id: str, asking: Asking,
         fetch: Fetch, dossier_code: str | None, reference: str | None) -> Answer:
    uow.session.rollback()  # only reads so far: no transaction stays open while the database is asked
    error = None
    try:
        person = fetch(personal_id, asking)
        outcome = "found" if person is not None else "not_found"
    except LookupFailed as exc:
        person, outcome, error = None, "failed", str(exc)[:200]
    key_hash = key_digest(uow, personal_id)
    found = dict(person.fields) if person else {}
    row = PopulationLookup(
        at=uow.clock(), user_id=actor.user_id if actor else None, citizen_subject=subject,
        unit_code=asking.unit or None, key_hash=key_hash, key_last=personal_id[-4:], purpose=asking.purpose,
        dossier_code=dossier_code, reference=reference, outcome=outcome, error=error,
        field_hashes={f: value_digest(uow, key_hash, f, v) for f, v in found.items()} or None)
    uow.session.add(row)
    uow.session.flush()
    uow.record(actor, "population_looked_up", "population_lookup", row.id, unit=row.unit_code, detail={
        "outcome": outcome, "purpose": asking.purpose, "dossier": dossier_code, "reference": reference,
        "personal_id_last": row.key_last, "fields": sorted(found), **({"citizen": subject} if subject else {})})
    uow.commit()
    if outcome == "failed":
        raise SourceUnavailable("the population database could not answer now; nothing was filled in: try again "
                                "later or type the data")
    if person is None:
        raise NotFound("no person with this personal id in the population database")
    applicant = {ours: found[theirs[0]] for ours, theirs in APPLICANT_FIELDS.items() if theirs[0] in found}
    return Answer(row.id, found, dict(person.household), applicant)


def lookups_between(uow: UnitOfWork, units: frozenset[str], start: datetime, end: datetime) -> int:
    """How many look-ups officers of these units made in [start, end) (the dashboard shows it beside re-use)."""
    return int(uow.session.scalar(select(func.count()).select_from(PopulationLookup).where(
        PopulationLookup.unit_code.in_(sorted(units)), PopulationLookup.at >= start, PopulationLookup.at < end)) or 0)
