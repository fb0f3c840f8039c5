"""The platform's messages built and read by the rules of `mapping/protocol.toml`, and their checksums: an
HMAC-SHA256 (hex) over the listed fields joined by the separator, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent / "mapping"


class CallbackError(ValueError):
    """A message the platform did not sign (or that cannot be read): nothing may be taken from it."""


@cache
def rules() -> dict[str, Any]:
    with (HERE / "protocol.toml").open("rb") as fh:
        return tomllib.load(fh)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def checksum(secret: str, body: dict[str, Any], which: str) -> str:
    """The checksum of `body` for a message kind (create, detail, outcome)."""
    spec = rules()["checksum"]
    canonical = spec["separator"].join(_text(body.get(name)) for name in spec[which])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: dict[str, Any], which: str) -> dict[str, Any]:
    return {**body, rules()["checksum"]["field"]: checksum(secret, body, which)}


def verified(secret: str, body: dict[str, Any], which: str) -> bool:
    given = body.get(rules()["checksum"]["field"])
    if not secret or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.lower().encode(), checksum(secret, body, which).encode())


def local_stamp(moment: datetime) -> str:
    """yyyyMMddHHmmss in the platform's time zone (MaTraCuuTT's tail, and every time field)."""
    r = rules()
    return moment.astimezone(ZoneInfo(r["timezone"])).strftime(r["date_format"])


def parse_stamp(value: Any) -> datetime | None:
    r = rules()
    try:
        return datetime.strptime(str(value), r["date_format"]).replace(tzinfo=ZoneInfo(r["timezone"]))
    except ValueError:
        return None


def create_body(order: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    """The create request: Motcua's order plus the settings (`fixed`: service code, account, URLs)."""
    r, source = rules(), {**order, **fixed}
    body: dict[str, Any] = {name: source.get(key, "") for name, key in r["create"].items()}
    for name, fields in r["create_lists"].items():
        body[name] = [{field: (r["fee_kinds"].get(str(line.get(key)), line.get(key)) if key == "kind"
                               else line.get(key, "")) for field, key in fields.items()}
                      for line in order.get("lines") or []]
    return body


def created(answer: dict[str, Any]) -> dict[str, str]:
    """pay_url and platform_ref of a create answer (which may wrap them in `data`)."""
    data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
    return {key: _text(data.get(name)) for key, name in rules()["created"].items()}


def outcome(body: dict[str, Any]) -> dict[str, Any]:
    """A callback's or a detail's transaction in Motcua's terms. Raises CallbackError when it cannot be read."""
    r = rules()
    names = r["outcome"]
    state = r["states"].get(_text(body.get(names["state"])))
    if state is None:
        raise CallbackError(f"unknown state {body.get(names['state'])!r}")
    try:
        amount = int(body.get(names["amount"]))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CallbackError("the amount is not a whole number") from None
    paid_at = parse_stamp(body.get(names["paid_at"])) if body.get(names["paid_at"]) else None
    receipt = {key: _text(body.get(names[key])) for key in ("receipt_number", "receipt_series", "receipt_url",
                                                            "bank_ref", "message") if body.get(names[key])}
    return {"tracking_code": _text(body.get(names["tracking_code"])),
            "dossier_code": _text(body.get(names["dossier_code"])), "amount": amount, "state": state,
            "platform_ref": _text(body.get(names["platform_ref"])),
            "paid_at": paid_at.isoformat() if paid_at else None,
            "signed_at": (s.isoformat() if (s := parse_stamp(body.get(names["signed_at"]))) else None),
            "receipt": receipt}


def read_callback(secret: str, body: Any) -> dict[str, Any]:
    """A callback's outcome once its checksum is verified; CallbackError otherwise."""
    if not isinstance(body, dict):
        raise CallbackError("the callback is not a JSON object")
    if not verified(secret, body, "outcome"):
        raise CallbackError("the checksum does not match")
    return outcome(body)
