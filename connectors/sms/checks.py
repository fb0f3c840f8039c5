"""The SMS connector's health: configured or not, and whether the gateway answers its health endpoint."""

from __future__ import annotations

from ..registry import Health
from .client import HttpSmsClient, SmsError
from .config import SmsSettings


def configured() -> bool:
    return SmsSettings.from_env().url is not None


def check() -> Health:
    settings = SmsSettings.from_env()
    if not settings.url:
        return Health("not-configured", "MOTCUA_SMS_URL is unset: no SMS is sent")
    short = SmsSettings(settings.url, settings.token, settings.sender, min(settings.timeout, 2.0), settings.unicode)
    try:
        standin = HttpSmsClient(short).health()
    except SmsError as exc:
        return Health("refused" if "answered" in str(exc) else "unreachable", str(exc)[:200])
    return Health("ok", f"{settings.url} (stand-in)" if standin else settings.url, standin=standin)
