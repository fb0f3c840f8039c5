"""What the trust-services health check reads of the MOTCUA_SIGNING_* variables (engine/signing/config.py reads
them all for signing; connectors import nothing of engine/)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from connectors.settings import seconds

ENV = ("MOTCUA_SIGNING_UNIT_PKCS12", "MOTCUA_SIGNING_UNIT_PASSWORD", "MOTCUA_SIGNING_UNIT_PKCS11_MODULE",
       "MOTCUA_SIGNING_UNIT_PKCS11_TOKEN", "MOTCUA_SIGNING_UNIT_PKCS11_KEY_LABEL", "MOTCUA_SIGNING_UNIT_PKCS11_PIN",
       "MOTCUA_SIGNING_TSA_URL", "MOTCUA_SIGNING_TRUST_ROOTS", "MOTCUA_SIGNING_TIMEOUT",
       "MOTCUA_SIGNING_VALIDATE_TIMEOUT", "MOTCUA_VERIFY_MAX_MB")


@dataclass(frozen=True)
class TrustSettings:
    unit_pkcs12: Path | None
    unit_password: str
    pkcs11_module: str | None
    tsa_url: str | None
    timeout: float

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> TrustSettings:
        env = os.environ if environ is None else environ
        pkcs12 = (env.get("MOTCUA_SIGNING_UNIT_PKCS12") or "").strip()
        return cls(unit_pkcs12=Path(pkcs12) if pkcs12 else None,
                   unit_password=env.get("MOTCUA_SIGNING_UNIT_PASSWORD") or "",
                   pkcs11_module=(env.get("MOTCUA_SIGNING_UNIT_PKCS11_MODULE") or "").strip() or None,
                   tsa_url=(env.get("MOTCUA_SIGNING_TSA_URL") or "").strip() or None,
                   timeout=seconds(env.get("MOTCUA_SIGNING_TIMEOUT"), 10.0))

    @property
    def configured(self) -> bool:
        return bool(self.unit_pkcs12 or self.pkcs11_module)
