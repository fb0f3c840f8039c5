"""The portal connector's health: configured or not, and whether the adapter signs Motcua in (2 seconds at
most). The detail says "stand-in" when the server says it is one (its sign-in answer carries "standin": true)."""

from __future__ import annotations

from ..registry import Health
from .client import PortalClient, PortalError
from .config import PortalSettings

TIMEOUT = 2.0


def configured() -> bool:
    return PortalSettings.from_env().url is not None


def check() -> Health:
    settings = PortalSettings.from_env()
    if not settings.url:
        return Health("not-configured", "MOTCUA_PORTAL_URL is unset: no dossier is pushed to the national portal")
    try:
        answer = PortalClient(settings.with_timeout(TIMEOUT)).sign_in(TIMEOUT)
    except PortalError as exc:
        return Health("refused" if exc.answered else "unreachable", str(exc)[:200])
    standin = answer.get("standin") is True
    return Health("ok", f"{settings.url} (stand-in)" if standin else settings.url, standin=standin)
