"""Who a dossier is for, as the register searches and the counter looks it up: a person (12-digit personal id)
or a business (tax code of 10 digits, or 13 as `0123456789-001` for a branch), and how the applicant wants the
result. Kept on the dossier row (`applicant_kind`, `applicant_key`, `search_text`) so that searching needs no
JSON and no join."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from engine.text import fold

KINDS = ("person", "business")
PERSON_ID = re.compile(r"^[0-9]{12}$")
TAX_CODE = re.compile(r"^[0-9]{10}(-[0-9]{3})?$")
# How the result reaches the applicant (Decree 61/2018 art. 18): at the counter, by public postal service, or
# electronically (the portal, an e-mail with the signed result).
DELIVERY = ("counter", "post", "electronic")
SEARCH_CHARS = 400
# What an applicant is described by (the dossier's `applicant` keys), in the order forms show them.
FIELDS = ("kind", "name", "id_number", "tax_code", "representative", "phone", "email", "address")
PHONE = r"^\+?[0-9 .-]{8,15}$"


class ApplicantIn(Schema):
    """An applicant as an officer or the citizen gives it: a person with a 12-digit personal id, or a business
    with its tax code (and the person representing it). `id_required`: a person must give the id."""

    class Meta:
        unknown = RAISE

    id_required = False
    kind = fields.String(validate=validate.OneOf(KINDS))  # absent: a person (as stored before businesses came)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    id_number = fields.String(validate=validate.Regexp(PERSON_ID.pattern, error="12 digits expected."))
    tax_code = fields.String(validate=validate.Regexp(TAX_CODE.pattern,
                                                      error="10 digits, or 10 digits, a dash and 3 digits."))
    representative = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Regexp(PHONE, error="Not a valid phone number."))
    email = fields.Email(allow_none=True)
    address = fields.String(validate=validate.Length(max=500))

    @validates_schema
    def _by_kind(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") == "business":
            if not data.get("tax_code"):
                raise ValidationError("A business is identified by its tax code.", "tax_code")
        else:
            if data.get("tax_code") or data.get("representative"):
                raise ValidationError("Only a business has a tax code and a representative.", "tax_code")
            if self.id_required and not data.get("id_number"):
                raise ValidationError("Missing data for required field.", "id_number")


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


def record_sources(dossier: Any, reused: Sequence[str], sources: Mapping[str, str]) -> None:
    """The applicant data that was not typed: `reused` from earlier dossiers, `sources` field -> "vneid" |
    "population". Each joins reused_fields, which the data re-use figure counts."""
    dossier.reused_fields = list(dict.fromkeys([*reused, *sources])) or None
    dossier.field_sources = {**dict.fromkeys(reused, "motcua"), **sources} if sources else None


def stamp_applicant(dossier: Any) -> None:
    """Copy the applicant's facts onto the dossier row; call whenever `code` or `applicant` is set."""
    found = applicant_facts(dossier.code, dossier.applicant or {})
    dossier.applicant_kind, dossier.applicant_key, dossier.search_text = found.kind, found.key, found.search_text
