"""The remote signing connector (connectors/remote_signing/) handed to the engine (engine/results/): its functions
wrapped so that the service's errors reach the engine as `ServiceUnavailable`. The engine knows no connector."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from connectors.remote_signing.client import RemoteSigningClient, RemoteSigningError, client_from_env
from connectors.remote_signing.config import RemoteSigningSettings
from connectors.remote_signing.protocol import rules, webhook_verified
from engine.errors import Unauthorized
from engine.results.issue import render_requested
from engine.results.remote import Remote, RemoteStatus, ServiceUnavailable

from .services import request_uow, services

log = logging.getLogger(__name__)


def _remote(client: RemoteSigningClient) -> Remote:
    def certificate(user_id: str, transaction_id: str) -> tuple[bytes, list[bytes], str]:
        try:
            found = client.certificate(user_id, transaction_id)
        except RemoteSigningError as exc:
            raise ServiceUnavailable(str(exc), exc.answered) from None
        return found.der, found.chain, found.serial_number

    def sign(user_id: str, transaction_id: str, description: str, serial: str, digest: bytes, doc_id: str) -> None:
        try:
            client.sign(user_id, transaction_id, description, serial, digest, doc_id)
        except RemoteSigningError as exc:
            raise ServiceUnavailable(str(exc), exc.answered) from None

    def status(transaction_id: str) -> RemoteStatus:
        try:
            found = client.status(transaction_id)
        except RemoteSigningError as exc:
            raise ServiceUnavailable(str(exc), exc.answered) from None
        return RemoteStatus(found.state, found.signature, found.reason)

    return Remote(certificate, sign, status, expiry=client.settings.expiry)


def remote_signing() -> Remote | None:
    """The configured service, or None when MOTCUA_REMOTE_SIGNING_URL is unset (the plugin upload only)."""
    client = client_from_env()
    return _remote(client) if client is not None else None


def verified_webhook(body: bytes, headers: Mapping[str, str]) -> None:
    """401 unless the body carries the service's HMAC (MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET)."""
    signature = headers.get(rules()["webhook"]["header"])
    if not webhook_verified(RemoteSigningSettings.from_env().webhook_secret, body, signature):
        raise Unauthorized("the webhook is not signed by the remote signing service", reason="signature")


def render_approved_result(dossier_code: str) -> None:
    """After a completion committed: the result's draft rendered now when the step asked for one (the leader
    signs at once), unless MOTCUA_RESULTS_RENDER_AT_ONCE=0. A failure is kept on the row for the job to retry."""
    if not services().settings.results_render_at_once:
        return
    request_uow().session.rollback()  # the request's read transaction ends: the render writes in its own
    try:
        render_requested(services().uow, dossier_code)
    except Exception:  # the answer is given already; the scheduler's job renders it
        log.exception("result of %s: not rendered at once; the results job will", dossier_code)
