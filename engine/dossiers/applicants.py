"""Who a dossier is for, as the register searches and the counter looks it up: a person (12-digit personal id)
or a business (tax code of 10 digits, or 13 as `0123456789-001` for a branch), and how the applicant wants the
result. Kept on the dossier row (`applicant_kind`, `applicant_key`, `search_text`) so that searching needs no
JSON and no join."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.text import fold

KINDS = ("person", "business")
PERSON_ID = re.compile(r"^[0-9]{12}$")
TAX_CODE = re.compile(r"^[0-9]{10}(-[0-9]{3})?$")
# How the result reaches the applicant (Decree 61/2018 art. 18): at the counter, by public postal service, or
# electronically (the portal, an e-mail with the signed result).
DELIVERY = ("counter", "post", "electronic")
SEARCH_CHARS = 400


@dataclass(frozen=True)
class ApplicantFacts:
    kind: str
    key: str | None  # the personal id or the tax code
    search_text: str  # code, names and key, folded (no case, no diacritics)


def applicant_facts(code: str, applicant: Mapping[str, Any]) -> ApplicantFacts:
    kind = applicant.get("kind") if applicant.get("kind") in KINDS else "person"
    key = applicant.get("tax_code") if kind == "business" else applicant.get("id_number")
    key = key if isinstance(key, str) and key else None
    parts = [code, applicant.get("name"), applicant.get("representative"), key]
    return ApplicantFacts(str(kind), key, fold(" ".join(p for p in parts if isinstance(p, str) and p))[:SEARCH_CHARS])


def stamp_applicant(dossier: Any) -> None:
    """Copy the applicant's facts onto the dossier row; call whenever `code` or `applicant` is set."""
    found = applicant_facts(dossier.code, dossier.applicant or {})
    dossier.applicant_kind, dossier.applicant_key, dossier.search_text = found.kind, found.key, found.search_text
