"""A registration's claim that applicant fields came from the population database, checked against the log:
the look-up it names must be this asker's, for this personal id, recent and found, and each claimed value must
hash to what the database returned. A forged claim is refused (422), as a forged "reused" one is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from engine.errors import ValidationFailed
from engine.store.uow import UnitOfWork

from .models import PopulationLookup
from .population import APPLICANT_FIELDS, key_digest, value_digest

MAX_AGE = timedelta(hours=12)  # a look-up proves data for the registration made that day, not for ever
NOT_FROM_DATABASE = "Data from the population database must be the data it returned for this person."


def check_population_claims(uow: UnitOfWork, applicant: dict[str, Any], lookup_id: int | None,
                            claimed: Sequence[str], *, user_id: int | None = None,
                            citizen_subject: str | None = None) -> dict[str, str]:
    """{field: "population"} for the claimed fields (Submission.field_sources), or ValidationFailed."""
    claimed = list(dict.fromkeys(claimed))
    if not claimed:
        return {}
    if set(claimed) - set(APPLICANT_FIELDS):
        raise ValidationFailed("unknown population fields",
                               {"population_fields": ["Choose one of the listed options."]})
    row = uow.session.get(PopulationLookup, lookup_id) if lookup_id else None
    key = applicant.get("id_number")
    if (row is None or row.outcome != "found" or not isinstance(key, str)
            or row.key_hash != key_digest(uow, key) or uow.clock() - row.at > MAX_AGE
            or (row.user_id, row.citizen_subject) != (user_id, citizen_subject)):
        raise ValidationFailed("no look-up of this person proves the data",
                               {"population_fields": [NOT_FROM_DATABASE]})
    hashes = row.field_hashes or {}
    differ = [f for f in claimed if not isinstance(applicant.get(f), str) or not any(
        hashes.get(source) == value_digest(uow, row.key_hash, source, applicant[f]) for source in APPLICANT_FIELDS[f])]
    if differ:
        raise ValidationFailed(f"not the population database's data: {', '.join(differ)}",
                               {"population_fields": [NOT_FROM_DATABASE]})
    return dict.fromkeys(claimed, "population")


def attach_dossier(uow: UnitOfWork, lookup_id: int | None, code: str) -> None:
    """The registration in progress became this dossier: the log says so (within the caller's transaction)."""
    row = uow.session.get(PopulationLookup, lookup_id) if lookup_id else None
    if row is not None and row.dossier_code is None:
        row.dossier_code = code
