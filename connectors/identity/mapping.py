"""The signed-in citizen, from the userinfo claims by the rules of `mapping/userinfo.toml`: the applicant kind,
the key (personal id or tax code) that names their dossiers, and the applicant fields the identity vouches for."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "mapping"
KEYS = {"id_number": re.compile(r"^[0-9]{12}$"), "tax_code": re.compile(r"^[0-9]{10}(-[0-9]{3})?$")}


class ClaimsError(ValueError):
    """The userinfo lacks what a sign-in needs (sub, TechID, a valid personal id or tax code)."""


@cache
def rules() -> dict[str, Any]:
    with (HERE / "userinfo.toml").open("rb") as fh:
        return tomllib.load(fh)


def _claim(userinfo: dict[str, Any], names: str) -> str | None:
    for name in names.split("|"):
        value = userinfo.get(name.strip())
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def citizen_from_userinfo(userinfo: dict[str, Any]) -> dict[str, Any]:
    """The contract's `session["citizen"]`: {subject, key, kind, name, claims: {applicant field -> value}}."""
    found = rules()
    missing = [c for c in found["required"] if not _claim(userinfo, c)]
    if missing:
        raise ClaimsError(f"userinfo lacks {', '.join(missing)}")
    kind = found["account_types"].get(str(userinfo.get(found["account_type"], "1")).strip())
    if kind is None:
        raise ClaimsError(f"unknown account type {userinfo.get(found['account_type'])!r}")
    fields = {k: v for k, v in found[kind].items() if k not in ("key", "dates")}
    claims: dict[str, str] = {}
    for field, names in fields.items():
        value = _claim(userinfo, names)
        if value is not None:
            claims[field] = value
    for field in found[kind].get("dates", []):
        if field in claims:
            try:
                claims[field] = datetime.strptime(claims[field], found["date_format"]).date().isoformat()
            except ValueError:
                del claims[field]  # a date that is not one is not vouched for
    key_field = found[kind]["key"]
    key = claims.get(key_field, "")
    if not KEYS[key_field].match(key):
        raise ClaimsError(f"{key_field} is not a valid one")
    if kind == "business":
        claims["kind"] = "business"
    return {"subject": str(userinfo["sub"]), "key": key, "kind": kind, "name": claims.get("name", ""),
            "claims": claims}
