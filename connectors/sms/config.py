"""The SMS connector's settings, from MOTCUA_SMS_* variables (README lists them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV = ("MOTCUA_SMS_URL", "MOTCUA_SMS_TOKEN", "MOTCUA_SMS_SENDER", "MOTCUA_SMS_TIMEOUT", "MOTCUA_SMS_UNICODE")


@dataclass(frozen=True)
class SmsSettings:
    url: str | None  # the gateway's base URL; None: no SMS is sent (messages wait and are retried)
    token: str | None  # sent as `Authorization: Bearer <token>`
    sender: str  # the brandname the SMS comes from
    timeout: float  # seconds for one request to the gateway
    unicode: bool  # send Vietnamese with its diacritics (UCS-2, 70 characters a part); default: folded to ASCII

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SmsSettings:
        env = os.environ if environ is None else environ
        return cls(url=(env.get("MOTCUA_SMS_URL") or "").rstrip("/") or None,
                   token=env.get("MOTCUA_SMS_TOKEN") or None,
                   sender=env.get("MOTCUA_SMS_SENDER") or "MOTCUA",
                   timeout=float(env.get("MOTCUA_SMS_TIMEOUT") or 10),
                   unicode=env.get("MOTCUA_SMS_UNICODE", "0") == "1")
