"""A small generic mapper: a portal record built from Motcua's sync payload by the rules of
`mapping/outbound.toml` (field = source path + transform; lists item by item; code lists as tables). The field
names and codes live in that file, so a portal that renames a field or a code is an edit of data."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent / "mapping"


class MappingError(ValueError):
    """The payload cannot be said in the portal's terms (an unknown code, a date that is not one)."""


@cache
def load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as fh:
        return tomllib.load(fh)


def _get(payload: Any, path: str) -> Any:
    """The first non-empty value of "a.b|c.d" in the payload; None when none is."""
    for alternative in path.split("|"):
        value = payload
        for key in alternative.strip().split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and value != "":
            return value
    return None


def local_stamp(value: str, rules: dict[str, Any]) -> str:
    """ISO-8601 (UTC with offset; naive taken as UTC) -> yyyyMMddHHmmss in the portal's time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MappingError(f"not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(rules["timezone"])).strftime(rules["date_format"])


def _transform(value: Any, how: str, rules: dict[str, Any], field: str) -> Any:
    if how == "date":
        return local_stamp(str(value), rules)
    if how.startswith("code:"):
        codes = rules["codes"][how[5:]]
        if str(value) not in codes:
            raise MappingError(f"{field}: no portal code for {value!r} (codes.{how[5:]})")
        return codes[str(value)]
    if how == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise MappingError(f"{field}: not a whole number: {value!r}") from None
    if how == "bool":
        return bool(value)
    if how == "text":
        return str(value)
    raise MappingError(f"{field}: unknown transform {how!r}")


def _field(source: Any, name: str, spec: Any, rules: dict[str, Any]) -> Any:
    if isinstance(spec, str):
        spec = {"from": spec}
    if "each" in spec:
        items = _get(source, spec["each"]) or []
        return [_record(item, spec["fields"], rules) for item in items]
    value = _get(source, spec["from"])
    if value is None:
        return spec.get("default", "")
    return _transform(value, spec["as"], rules, name) if "as" in spec else value


def _record(source: Any, fields: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    return {name: _field(source, name, spec, rules) for name, spec in fields.items()}


def dossier_record(payload: dict[str, Any], rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """The DongBoHoSoMC record of a sync payload."""
    rules = rules or load("outbound.toml")
    return _record(payload, rules["dossier"], rules)


def progress_record(payload: dict[str, Any], rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CapNhatTienDoHoSoMC record of a sync payload."""
    rules = rules or load("outbound.toml")
    return _record(payload, rules["progress"], rules)
