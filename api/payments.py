"""The payment connector (connectors/payment/) handed to the engine (engine/payments/): its functions wrapped so
that the platform's errors reach the engine as `PlatformUnavailable`. The engine knows no connector."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connectors.payment.client import PaymentError, client_from_env, verify_callback
from connectors.payment.protocol import CallbackError
from engine.dossiers.models import Dossier
from engine.errors import Unauthorized
from engine.payments.reconcile import Detail
from engine.payments.service import Create, Outcome, PlatformUnavailable, summary
from engine.store.uow import UnitOfWork


def platform_create() -> Create | None:
    """The platform's create, or None when no platform is configured (online payment is not offered)."""
    client = client_from_env()
    if client is None:
        return None

    def create(order: dict[str, Any]) -> dict[str, str]:
        try:
            return client.create(order)
        except PaymentError as exc:
            raise PlatformUnavailable(str(exc), exc.answered) from None

    return create


def payment_detail() -> Detail | None:
    """The platform's detail for the reconciliation job, or None when no platform is configured."""
    client = client_from_env()
    if client is None:
        return None

    def detail(tracking_code: str) -> dict[str, Any]:
        try:
            return client.detail(tracking_code)
        except PaymentError as exc:
            raise PlatformUnavailable(str(exc), exc.answered) from None

    return detail


def verified_outcome(body: Any) -> Outcome:
    """A callback's outcome once its checksum matches; 401 otherwise (nothing is read from an unsigned body)."""
    try:
        return Outcome(**verify_callback(body))
    except CallbackError as exc:
        raise Unauthorized(f"the callback is not signed by the payment platform: {exc}", reason="checksum") from None


def platform_origin() -> str | None:
    """The platform's origin (scheme://host:port), which pages with a pay button let their forms go to: a form
    posted to /payments/start is redirected there, and the pages' CSP says `form-action 'self'`."""
    client = client_from_env()
    if client is None or not client.settings.url:
        return None
    parts = urlsplit(client.settings.url)
    return f"{parts.scheme}://{parts.netloc}"


def payment_summary(uow: UnitOfWork, dossier: Dossier) -> dict[str, Any] | None:
    """What a tracking or receipt page shows of the fee (None when no fee concerns the dossier); `online`: a
    platform is configured, so the pay button is offered."""
    found = summary(uow, dossier)
    if not found["owed"] and found["latest"] is None:
        return None
    return {**found, "online": client_from_env() is not None}
