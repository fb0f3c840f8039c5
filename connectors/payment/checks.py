"""The payment connector's health: configured or not, and whether the platform answers (2 seconds at most)."""

from __future__ import annotations

from ..registry import Health
from .client import PaymentClient, PaymentError
from .config import PaymentSettings

TIMEOUT = 2.0


def configured() -> bool:
    return PaymentSettings.from_env().url is not None


def check() -> Health:
    settings = PaymentSettings.from_env()
    if not settings.url:
        return Health("not-configured", "MOTCUA_PAYMENT_URL is unset: fees are paid at the counter only")
    if not settings.secret:
        return Health("refused", "MOTCUA_PAYMENT_SECRET is unset: no callback could be verified")
    try:
        standin = PaymentClient(settings.with_timeout(TIMEOUT)).health()
    except PaymentError as exc:
        return Health("refused" if exc.answered else "unreachable", str(exc)[:200])
    return Health("ok", f"{settings.url} (stand-in)" if standin else settings.url, standin=standin)
