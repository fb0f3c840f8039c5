"""The identity connectors' health: configured or not, and whether the provider's discovery answers (2 seconds at
most). The detail says "stand-in" when the discovery document says it is one (`"standin": true`)."""

from __future__ import annotations

from ..registry import Health
from .client import IdentityError, discover
from .config import CITIZEN, OFFICER, OidcSettings

TIMEOUT = 2.0


def configured(prefix: str = CITIZEN) -> bool:
    return OidcSettings.from_env(prefix).configured


def check(prefix: str = CITIZEN) -> Health:
    settings = OidcSettings.from_env(prefix)
    if not settings.configured:
        return Health("not-configured", f"{prefix}_ISSUER / _CLIENT_ID are unset: nobody signs in through it")
    try:
        doc = discover(settings.with_timeout(TIMEOUT), refresh=True)
    except IdentityError as exc:
        return Health("unreachable" if exc.kind == "unreachable" else "refused", exc.reason[:200])
    standin = doc.get("standin") is True
    return Health("ok", f"{settings.issuer} (stand-in)" if standin else str(settings.issuer), standin=standin)


def check_officer() -> Health:
    return check(OFFICER)


def officer_configured() -> bool:
    return configured(OFFICER)
