"""The service's messages built and read by the rules of `mapping/protocol.toml`, and the webhook's HMAC."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent / "mapping"
STATES = ("pending", "confirmed", "rejected", "expired")


class ProtocolError(ValueError):
    """An answer that cannot be read: nothing is taken from it."""


@cache
def rules() -> dict[str, Any]:
    with (HERE / "protocol.toml").open("rb") as fh:
        return tomllib.load(fh)


def stamp(moment: datetime) -> str:
    r = rules()
    return moment.astimezone(ZoneInfo(r["timezone"])).strftime(r["date_format"])


def encode_digest(digest: bytes) -> str:
    return digest.hex() if rules()["digest_encoding"] == "hex" else base64.b64encode(digest).decode()


def decode_digest(text: Any) -> bytes:
    try:
        raw = bytes.fromhex(str(text)) if rules()["digest_encoding"] == "hex" else base64.b64decode(str(text),
                                                                                                    validate=True)
    except (ValueError, binascii.Error):
        raise ProtocolError("data_to_be_signed is not encoded as agreed") from None
    if len(raw) != 32:
        raise ProtocolError("data_to_be_signed is not a SHA-256 digest")
    return raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (ValueError, binascii.Error):
        raise ProtocolError(f"{what} is not base64") from None


def named(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Motcua's keys -> the service's field names of `section`."""
    names = rules()[section]
    return {names[key]: value for key, value in values.items()}


def succeeded(answer: dict[str, Any]) -> bool:
    r = rules()
    return answer.get(r["code_field"]) in r["success_codes"]


def webhook_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_verified(secret: str, body: bytes, given: str | None) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(given.strip().lower().encode(), webhook_signature(secret, body).encode())
