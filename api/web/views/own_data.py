"""What fills a signed-in citizen's online declaration: their electronic identity's claims (VNeID), and, when they
ask, their own record in the national population database. The look-up is kept in the session for the one
procedure's form it was made for; the engine checks the submitted values against the look-up's log."""

from __future__ import annotations

from typing import Any

from flask import session

from connectors.population.client import configured as population_configured
from engine.dossiers.population import Answer

POPULATION_FILL = "population_fill"  # session key: {code, subject, lookup, applicant, facts}
# the identity stays the source of who the citizen is; the database fills where they live
KEPT_FROM_IDENTITY = ("name", "id_number")
FACTS = ("birth_date", "gender", "permanent_address", "current_address")


def population_offered(citizen: dict[str, Any] | None) -> bool:
    return bool(citizen and citizen.get("kind") == "person" and population_configured())


def remember_fill(code: str, citizen: dict[str, Any], answer: Answer) -> None:
    session[POPULATION_FILL] = {
        "code": code, "subject": citizen["subject"], "lookup": answer.lookup_id,
        "applicant": {k: v for k, v in answer.applicant.items() if k not in KEPT_FROM_IDENTITY and v},
        "facts": {k: answer.fields[k] for k in FACTS if answer.fields.get(k)},
        "head": (answer.household or {}).get("head"),
    }


def own_data(code: str, citizen: dict[str, Any] | None
             ) -> tuple[dict[str, str], dict[str, str], dict[str, Any] | None]:
    """(the applicant values to prefill, field -> "vneid" | "population", this form's population fill or None)."""
    if not citizen:
        return {}, {}, None
    values = dict(citizen["claims"])
    sources = dict.fromkeys(citizen["claims"], "vneid")
    fill = session.get(POPULATION_FILL)
    if not (isinstance(fill, dict) and fill.get("code") == code and fill.get("subject") == citizen["subject"]):
        return values, sources, None
    values.update(fill["applicant"])
    sources.update(dict.fromkeys(fill["applicant"], "population"))
    return values, sources, fill
