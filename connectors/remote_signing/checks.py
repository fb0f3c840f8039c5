"""The remote signing connector's health: configured or not, and whether the service answers (2 seconds at most)."""

from __future__ import annotations

from ..registry import Health
from .client import RemoteSigningClient, RemoteSigningError
from .config import RemoteSigningSettings

TIMEOUT = 2.0


def configured() -> bool:
    return RemoteSigningSettings.from_env().url is not None


def check() -> Health:
    settings = RemoteSigningSettings.from_env()
    if not settings.url:
        return Health("not-configured", "MOTCUA_REMOTE_SIGNING_URL is unset: leaders sign with the browser plugin only")
    try:
        standin = RemoteSigningClient(settings.with_timeout(TIMEOUT)).health()
    except RemoteSigningError as exc:
        return Health("refused" if exc.answered else "unreachable", str(exc)[:200])
    return Health("ok", f"{settings.url} (stand-in)" if standin else settings.url, standin=standin)
