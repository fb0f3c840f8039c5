"""The signing settings, from MOTCUA_SIGNING_* variables (README lists them; docs/signatures.md explains them): the
unit's organisation key (a PKCS#12 file, or a PKCS#11 token), the time-stamping authority, the trusted roots, and
the bounds of validating an uploaded file."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ENV = ("MOTCUA_SIGNING_UNIT_PKCS12", "MOTCUA_SIGNING_UNIT_PASSWORD", "MOTCUA_SIGNING_UNIT_PKCS11_MODULE",
       "MOTCUA_SIGNING_UNIT_PKCS11_TOKEN", "MOTCUA_SIGNING_UNIT_PKCS11_KEY_LABEL", "MOTCUA_SIGNING_UNIT_PKCS11_PIN",
       "MOTCUA_SIGNING_TSA_URL", "MOTCUA_SIGNING_TRUST_ROOTS", "MOTCUA_SIGNING_TIMEOUT",
       "MOTCUA_SIGNING_VALIDATE_TIMEOUT", "MOTCUA_VERIFY_MAX_MB", "MOTCUA_SIGNING_RENEW_BEFORE_DAYS")


class SigningNotConfigured(RuntimeError):
    """A signing operation was asked for while its settings are missing (an operator's error, not a user's)."""


def _seconds(raw: str | None, default: float) -> float:
    """A bad value is the default, not a crash of every process that reads the settings."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def _whole(raw: str | None, default: int) -> int:
    """A positive whole number; a bad value is the default."""
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class SigningSettings:
    unit_pkcs12: Path | None = None  # the unit's organisation certificate and key
    unit_password: str = ""
    pkcs11_module: str | None = None  # or on a token (HSM, USB token): the PKCS#11 library ...
    pkcs11_token: str | None = None  # ... the token's label
    pkcs11_key_label: str | None = None  # ... the key's (and its certificate's) label
    pkcs11_pin: str | None = None
    tsa_url: str | None = None  # RFC 3161 time-stamping authority
    trust_roots: Path | None = None  # PEM bundle of the trusted root certificates
    timeout: float = 10.0  # seconds for one TSA / OCSP / CRL request
    validate_timeout: float = 20.0  # seconds for validating one file (in a child process)
    verify_max_bytes: int = 20 * 1024 * 1024  # the largest file validated
    renew_before_days: int = 365  # an issued result's archive time stamp renewed this long before its TSA cert ends

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] | None = None) -> SigningSettings:
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        pkcs12, roots = text("MOTCUA_SIGNING_UNIT_PKCS12"), text("MOTCUA_SIGNING_TRUST_ROOTS")
        return cls(unit_pkcs12=Path(pkcs12) if pkcs12 else None,
                   unit_password=env.get("MOTCUA_SIGNING_UNIT_PASSWORD") or "",
                   pkcs11_module=text("MOTCUA_SIGNING_UNIT_PKCS11_MODULE"),
                   pkcs11_token=text("MOTCUA_SIGNING_UNIT_PKCS11_TOKEN"),
                   pkcs11_key_label=text("MOTCUA_SIGNING_UNIT_PKCS11_KEY_LABEL"),
                   pkcs11_pin=env.get("MOTCUA_SIGNING_UNIT_PKCS11_PIN") or None,
                   tsa_url=text("MOTCUA_SIGNING_TSA_URL"),
                   trust_roots=Path(roots) if roots else None,
                   timeout=_seconds(env.get("MOTCUA_SIGNING_TIMEOUT"), 10.0),
                   validate_timeout=_seconds(env.get("MOTCUA_SIGNING_VALIDATE_TIMEOUT"), 20.0),
                   verify_max_bytes=_whole(env.get("MOTCUA_VERIFY_MAX_MB"), 20) * 1024 * 1024,
                   renew_before_days=_whole(env.get("MOTCUA_SIGNING_RENEW_BEFORE_DAYS"), 365))

    @property
    def can_seal(self) -> bool:
        return bool(self.unit_pkcs12 or (self.pkcs11_module and self.pkcs11_key_label))

    def with_timeout(self, seconds: float) -> SigningSettings:
        return replace(self, timeout=seconds)

    # --- what pyHanko needs -------------------------------------------------------------------------------
    def roots(self) -> list[Any]:
        """The trusted roots (asn1crypto certificates); none when unset."""
        if self.trust_roots is None:
            return []
        from asn1crypto import pem, x509

        data = self.trust_roots.read_bytes()
        if not pem.detect(data):
            return [x509.Certificate.load(data)]
        return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"]

    def validation_context(self, *, fetching: bool = True, moment: Any = None, **extra: Any) -> Any:
        """Trust in the configured roots only; revocation checked hard (no answer: not valid)."""
        from pyhanko_certvalidator import ValidationContext
        from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

        return ValidationContext(trust_roots=self.roots(), allow_fetching=fetching, revocation_mode="hard-fail",
                                 fetcher_backend=RequestsFetcherBackend(per_request_timeout=self.timeout),
                                 moment=moment, **extra)

    def timestamper(self) -> Any:
        if not self.tsa_url:
            raise SigningNotConfigured("MOTCUA_SIGNING_TSA_URL is unset")
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(self.tsa_url, timeout=self.timeout)

