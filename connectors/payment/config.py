"""The payment connector's settings, from MOTCUA_PAYMENT_* variables (README lists them; docs/connectors.md says
what each is for)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from connectors.settings import seconds

ENV = ("MOTCUA_PAYMENT_URL", "MOTCUA_PAYMENT_SERVICE_CODE", "MOTCUA_PAYMENT_SECRET", "MOTCUA_PAYMENT_ACCOUNT",
       "MOTCUA_PAYMENT_BANK", "MOTCUA_PAYMENT_ACCOUNT_NAME", "MOTCUA_PAYMENT_RETURN_URL",
       "MOTCUA_PAYMENT_CALLBACK_URL", "MOTCUA_PUBLIC_URL", "MOTCUA_PAYMENT_TIMEOUT")
RETURN_PATH = "/payments/return"  # Motcua's page the citizen comes back to
CALLBACK_PATH = "/api/v1/payments/callback"  # where the platform posts its signed outcome


@dataclass(frozen=True)
class PaymentSettings:
    url: str | None  # the platform's base URL; None: no online payment is offered
    service_code: str  # MaDVC: this province's one-stop system at the platform
    secret: str  # the HMAC-SHA256 key of the checksums, both ways
    account: str  # TKThuHuong: the beneficiary account
    bank: str  # MaNHThuHuong: its bank's code
    account_name: str  # TenTKThuHuong
    return_url: str  # where the platform sends the citizen back
    callback_url: str  # where the platform posts the outcome
    timeout: float  # seconds for one request

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PaymentSettings:
        env = os.environ if environ is None else environ
        public = (env.get("MOTCUA_PUBLIC_URL") or "").strip().rstrip("/")
        return cls(url=(env.get("MOTCUA_PAYMENT_URL") or "").rstrip("/") or None,
                   service_code=env.get("MOTCUA_PAYMENT_SERVICE_CODE") or "",
                   secret=env.get("MOTCUA_PAYMENT_SECRET") or "",
                   account=env.get("MOTCUA_PAYMENT_ACCOUNT") or "",
                   bank=env.get("MOTCUA_PAYMENT_BANK") or "",
                   account_name=env.get("MOTCUA_PAYMENT_ACCOUNT_NAME") or "",
                   return_url=env.get("MOTCUA_PAYMENT_RETURN_URL") or f"{public}{RETURN_PATH}",
                   callback_url=env.get("MOTCUA_PAYMENT_CALLBACK_URL") or f"{public}{CALLBACK_PATH}",
                   timeout=seconds(env.get("MOTCUA_PAYMENT_TIMEOUT"), 10.0))

    def with_timeout(self, seconds: float) -> PaymentSettings:
        return replace(self, timeout=seconds)
