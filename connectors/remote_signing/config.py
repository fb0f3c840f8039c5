"""The remote signing connector's settings, from MOTCUA_REMOTE_SIGNING_* variables (README lists them;
docs/results.md says what each is for)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from connectors.settings import seconds

ENV = ("MOTCUA_REMOTE_SIGNING_URL", "MOTCUA_REMOTE_SIGNING_SP_ID", "MOTCUA_REMOTE_SIGNING_SP_PASSWORD",
       "MOTCUA_REMOTE_SIGNING_TIMEOUT", "MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET", "MOTCUA_REMOTE_SIGNING_POLL_INTERVAL",
       "MOTCUA_REMOTE_SIGNING_EXPIRY")
CALLBACK_PATH = "/api/v1/signing/callback"  # where the service posts its webhook


@dataclass(frozen=True)
class RemoteSigningSettings:
    url: str | None  # the service's base URL; None: remote signing is not offered
    sp_id: str  # this province's service-provider account at the service
    sp_password: str
    timeout: float  # seconds for one request
    webhook_secret: str  # HMAC-SHA256 key of the webhook's body; empty: webhooks are refused (polling only)
    poll_interval: float  # seconds between two runs of the scheduler's `results` job
    expiry: float  # seconds a leader has to confirm on the phone

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RemoteSigningSettings:
        env = os.environ if environ is None else environ
        return cls(url=(env.get("MOTCUA_REMOTE_SIGNING_URL") or "").strip().rstrip("/") or None,
                   sp_id=env.get("MOTCUA_REMOTE_SIGNING_SP_ID") or "",
                   sp_password=env.get("MOTCUA_REMOTE_SIGNING_SP_PASSWORD") or "",
                   timeout=seconds(env.get("MOTCUA_REMOTE_SIGNING_TIMEOUT"), 10.0),
                   webhook_secret=env.get("MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET") or "",
                   poll_interval=seconds(env.get("MOTCUA_REMOTE_SIGNING_POLL_INTERVAL"), 10.0),
                   expiry=seconds(env.get("MOTCUA_REMOTE_SIGNING_EXPIRY"), 300.0))

    def with_timeout(self, value: float) -> RemoteSigningSettings:
        return replace(self, timeout=value)
