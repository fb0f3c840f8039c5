"""The population connector's interface, and its HTTP implementation.

One question: a 12-digit personal id, for a purpose, asked by an officer (or a citizen) of a unit for a dossier
-> the person's data in Motcua's words (`Person`), `NotFoundPerson`, or `PopulationError` (the database could not
answer: down, slow, refused). The remote field names and codes are data (mapping/fields.toml).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from connectors.http import Unreachable, exchange

from .config import PopulationSettings

MAPPING = Path(__file__).resolve().parent / "mapping" / "fields.toml"
MAX_ANSWER = 256 * 1024


class PopulationError(RuntimeError):
    """The database did not answer the question (unreachable, too slow, an error, an answer not understood)."""

    def __init__(self, message: str, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class NotFoundPerson(LookupError):
    """The database answered: no person with this personal id."""


@dataclass(frozen=True)
class Person:
    fields: dict[str, str]  # name, birth_date (ISO), gender, permanent_address, current_address
    household: dict[str, Any] = field(default_factory=dict)  # {head: {name, id_number}, members: [...]}


@dataclass(frozen=True)
class Asker:
    """Who asks and why: the database logs it too."""

    purpose: str
    officer: str  # the officer's username, or "citizen:<subject>"
    unit: str
    reference: str  # the dossier code, or the counter's registration in progress


@cache
def mapping() -> dict[str, Any]:
    with MAPPING.open("rb") as fh:
        return tomllib.load(fh)


def _get(record: Any, path: str) -> Any:
    for key in path.split("."):
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _date(value: str, formats: list[str]) -> str:
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value


def to_person(record: dict[str, Any], rules: dict[str, Any] | None = None) -> Person:
    """The remote record in Motcua's words; fields it does not carry are left out."""
    rules = rules or mapping()
    found: dict[str, str] = {}
    for ours, theirs in rules["fields"].items():
        value = _get(record, theirs)
        if value is None or value == "":
            continue
        text = str(value).strip()
        if ours in rules.get("dates", {}):
            text = _date(text, rules["dates"][ours])
        if ours in rules.get("codes", {}):
            text = rules["codes"][ours].get(text, text)
        found[ours] = text
    h = rules["household"]
    raw = record.get(h["record"])
    household: dict[str, Any] = {}
    if isinstance(raw, dict):
        household["head"] = {"name": _get(raw, h["head_name"]), "id_number": _get(raw, h["head_id"])}
        household["members"] = [{"name": m.get(h["member_name"]), "id_number": m.get(h["member_id"]),
                                 "relation": m.get(h["member_relation"])}
                                for m in raw.get(h["members"]) or [] if isinstance(m, dict)]
    return Person(found, household)


class PopulationClient:
    def __init__(self, settings: PopulationSettings) -> None:
        if not settings.url:
            raise PopulationError("no population database configured (MOTCUA_POPULATION_URL)")
        self.settings = settings

    def _request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}
        try:
            return exchange(method, f"{self.settings.url}{path}", body, headers, self.settings.timeout, MAX_ANSWER)
        except Unreachable as exc:  # refused, reset, timed out
            raise PopulationError(f"the population database could not be reached: {exc}") from None

    def look_up(self, personal_id: str, asker: Asker) -> Person:
        rules = mapping()
        req, ans = rules["request"], rules["answer"]
        status, body = self._request("POST", req["path"], {
            req["personal_id"]: personal_id, req["purpose"]: asker.purpose, req["officer"]: asker.officer,
            req["unit"]: asker.unit, req["reference"]: asker.reference})
        code = str(body.get(ans["error_code"], "")) if isinstance(body, dict) else ""
        if status == 404 or code in ans["not_found"]:
            raise NotFoundPerson(personal_id)
        if status != 200 or code not in ("", "0") or not isinstance(body, dict):
            raise PopulationError(f"the population database answered {status}", answered=True)
        record = body.get(ans["record"])
        if not isinstance(record, dict):
            raise PopulationError("the population database's answer carries no person", answered=True)
        return to_person(record, rules)

    def health(self) -> bool:
        """Raises when the database is unwell; True when it says it is a stand-in."""
        status, body = self._request("GET", "/health")
        if status != 200:
            raise PopulationError(f"the population database answered {status}", answered=True)
        return isinstance(body, dict) and body.get("standin") is True


def look_up_from_env(personal_id: str, asker: Asker) -> Person:
    """The configured database's answer (PopulationError when none is configured)."""
    return PopulationClient(PopulationSettings.from_env()).look_up(personal_id, asker)


def configured() -> bool:
    return PopulationSettings.from_env().url is not None
