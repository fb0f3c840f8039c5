"""The remote signing connector's HTTP client (protocol: `protocol.py`, `mapping/protocol.toml`):

- `certificate(user_id, transaction_id)`: the signer's certificate and its chain (DER);
- `sign(...)`: a SHA-256 digest sent for the signer to confirm on the phone; answers how long they have;
- `status(transaction_id)`: pending | confirmed (with the raw signature value) | rejected | expired.
Errors are `RemoteSigningError` (`answered`: the service answered at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.http import Unreachable, exchange

from .config import RemoteSigningSettings
from .protocol import ProtocolError, b64, encode_digest, named, rules, stamp, succeeded, unb64

MAX_ANSWER = 1024 * 1024


class RemoteSigningError(RuntimeError):
    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


@dataclass(frozen=True)
class Certificate:
    der: bytes
    chain: list[bytes]  # issuer first
    serial_number: str
    subject: str


@dataclass(frozen=True)
class Status:
    state: str  # pending | confirmed | rejected | expired
    signature: bytes | None = None  # the raw signature value, when confirmed
    reason: str = ""


class RemoteSigningClient:
    def __init__(self, settings: RemoteSigningSettings) -> None:
        if not settings.url:
            raise RemoteSigningError("no remote signing service configured (MOTCUA_REMOTE_SIGNING_URL)")
        self.settings = settings

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            status, answer = exchange("POST", f"{self.settings.url}{path}", body, {}, self.settings.timeout,
                                      MAX_ANSWER)
        except Unreachable as exc:
            if exc.timed_out:
                raise RemoteSigningError(f"the signing service did not answer within {self.settings.timeout:g} s"
                                         ) from None
            raise RemoteSigningError(f"the signing service could not be reached: {exc}") from None
        if not isinstance(answer, dict):
            raise RemoteSigningError(f"the signing service answered {status} without a JSON object", answered=True)
        if not 200 <= status < 300 or not succeeded(answer):
            reason = str(answer.get(rules()["message_field"]) or f"status {status}")[:300]
            raise RemoteSigningError(f"the signing service refused: {reason}", answered=True)
        return answer

    def _credentials(self) -> dict[str, str]:
        return {"sp_id": self.settings.sp_id, "sp_password": self.settings.sp_password}

    def certificate(self, user_id: str, transaction_id: str) -> Certificate:
        body = named("certificate_request", {**self._credentials(), "user_id": user_id, "serial_number": "",
                                             "transaction_id": transaction_id})
        data = self._post(rules()["certificate_path"], body).get("data")
        names = rules()["certificate_answer"]
        found = data.get(names["list"]) if isinstance(data, dict) else None
        if not isinstance(found, list) or not found or not isinstance(found[0], dict):
            raise RemoteSigningError(f"the signing service has no certificate for {user_id}", answered=True)
        first = found[0]
        try:
            chain = [unb64(c, "a chain certificate") for c in first.get(names["chain"]) or []]
            return Certificate(unb64(first.get(names["certificate"]), "the certificate"), chain,
                               str(first.get(names["serial_number"]) or ""), str(first.get(names["subject"]) or ""))
        except ProtocolError as exc:
            raise RemoteSigningError(str(exc), answered=True) from None

    def sign(self, user_id: str, transaction_id: str, description: str, serial_number: str, digest: bytes,
             doc_id: str) -> int:
        """Send the digest; the seconds the signer has to confirm (0 when the service does not say)."""
        r = rules()
        files = [named("sign_file", {"data_to_be_signed": encode_digest(digest), "doc_id": doc_id,
                                     "file_type": r["file_type"], "sign_type": r["sign_type"]})]
        body = named("sign_request", {**self._credentials(), "user_id": user_id, "transaction_id": transaction_id,
                                      "transaction_desc": description[:500], "serial_number": serial_number,
                                      "time_stamp": stamp(datetime.now(UTC)), "sign_files": files})
        data = self._post(r["sign_path"], body).get("data")
        try:
            return int((data or {}).get(r["sign_answer"]["expired_in"]) or 0) if isinstance(data, dict) else 0
        except (TypeError, ValueError):
            return 0

    def status(self, transaction_id: str) -> Status:
        r = rules()
        names = r["status_answer"]
        path = r["status_path"].format(transaction_id=transaction_id)
        data = self._post(path, self._credentials()).get("data")
        if not isinstance(data, dict):
            raise RemoteSigningError("the signing service's status has no data", answered=True)
        state = r["states"].get(str(data.get(names["state"])))
        if state is None:
            raise RemoteSigningError(f"unknown transaction status {data.get(names['state'])!r}", answered=True)
        reason = str(data.get(names["reason"]) or "")[:300]
        if state != "confirmed":
            return Status(state, None, reason)
        signatures = data.get(names["signatures"])
        if not isinstance(signatures, list) or not signatures or not isinstance(signatures[0], dict):
            raise RemoteSigningError("a confirmed transaction without its signature", answered=True)
        try:
            return Status(state, unb64(signatures[0].get(names["signature_value"]), "the signature"), reason)
        except ProtocolError as exc:
            raise RemoteSigningError(str(exc), answered=True) from None

    def health(self) -> bool:
        """The service answers; True when it says it is a stand-in."""
        try:
            status, answer = exchange("POST", f"{self.settings.url}{rules()['certificate_path']}",
                                 named("certificate_request", {**self._credentials(), "user_id": "-",
                                                               "serial_number": "", "transaction_id": "-"}),
                                 {}, self.settings.timeout, MAX_ANSWER)
        except Unreachable as exc:
            raise RemoteSigningError(f"the signing service could not be reached: {exc}") from None
        if status in (401, 403):
            raise RemoteSigningError("the signing service refused Motcua's sp_id / sp_password", answered=True)
        return isinstance(answer, dict) and answer.get("standin") is True


def client_from_env() -> RemoteSigningClient | None:
    """The configured client, or None when MOTCUA_REMOTE_SIGNING_URL is unset (remote signing not offered)."""
    settings = RemoteSigningSettings.from_env()
    return RemoteSigningClient(settings) if settings.url else None


__all__ = ["Certificate", "RemoteSigningClient", "RemoteSigningError", "Status", "b64", "client_from_env"]
