"""The remote signing connector against its stand-in over real HTTP (no database): the leader's certificate and
chain, a digest sent, pending until the phone answers, the signature made with the leader's key (PKCS#1 v1.5 over
the prehashed SHA-256) once confirmed, a rejection, wrong service credentials, an unknown user, the service down,
the health check, and the webhook signed with the shared key."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from connectors.registry import get
from connectors.remote_signing.client import RemoteSigningClient, RemoteSigningError
from connectors.remote_signing.config import RemoteSigningSettings
from connectors.remote_signing.protocol import webhook_verified
from connectors.remote_signing.standin import StandinRemoteSigning, start
from connectors.trust_services.demo_pki import LEADER, PASSWORD


@pytest.fixture
def service(demo_pki: Any) -> Iterator[StandinRemoteSigning]:
    standin = start(accounts={"lanhdao": (demo_pki.leader_p12, PASSWORD)}, sp_id="sp", sp_password="bi-mat")
    yield standin
    standin.stop()


def client(url: str, password: str = "bi-mat") -> RemoteSigningClient:
    return RemoteSigningClient(RemoteSigningSettings.from_env({
        "MOTCUA_REMOTE_SIGNING_URL": url, "MOTCUA_REMOTE_SIGNING_SP_ID": "sp",
        "MOTCUA_REMOTE_SIGNING_SP_PASSWORD": password, "MOTCUA_REMOTE_SIGNING_TIMEOUT": "5"}))


def test_a_digest_is_signed_with_the_leaders_key_only_once_the_phone_confirms(service: StandinRemoteSigning
                                                                              ) -> None:
    remote = client(service.url)
    found = remote.certificate("lanhdao", "tx-cert")
    cert = x509.load_der_x509_certificate(found.der)
    assert LEADER in cert.subject.rfc4514_string() and found.chain and found.serial_number
    digest = hashlib.sha256(b"noi dung can ky").digest()
    assert remote.sign("lanhdao", "tx-1", "Ký kết quả hồ sơ", found.serial_number, digest, "HS-1") > 0
    assert remote.status("tx-1").state == "pending" and remote.status("tx-1").signature is None
    assert service.confirm("tx-1") is not None
    done = remote.status("tx-1")
    assert done.state == "confirmed" and done.signature
    cert.public_key().verify(done.signature, digest, padding.PKCS1v15(),  # type: ignore[union-attr,call-arg]
                             utils.Prehashed(hashes.SHA256()))  # type: ignore[call-arg]

    remote.sign("lanhdao", "tx-2", "Ký lần hai", found.serial_number, digest, "HS-2")
    service.reject("tx-2")
    assert remote.status("tx-2").state == "rejected" and remote.status("tx-2").reason


def test_refusals_and_a_service_that_is_down(service: StandinRemoteSigning) -> None:
    with pytest.raises(RemoteSigningError) as refused:
        client(service.url, "sai").certificate("lanhdao", "tx")
    assert refused.value.answered
    with pytest.raises(RemoteSigningError):
        client(service.url).certificate("khong-co", "tx")
    with pytest.raises(RemoteSigningError):
        client(service.url).status("khong-co")
    service.down()
    with pytest.raises(RemoteSigningError) as down:
        client(service.url).certificate("lanhdao", "tx")
    assert not down.value.answered


def test_health_check(service: StandinRemoteSigning, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTCUA_REMOTE_SIGNING_URL", raising=False)
    assert get("remote_signing").check().status == "not-configured"
    monkeypatch.setenv("MOTCUA_REMOTE_SIGNING_URL", service.url)
    assert get("remote_signing").check().status == "refused"  # no sp_id / sp_password
    monkeypatch.setenv("MOTCUA_REMOTE_SIGNING_SP_ID", "sp")
    monkeypatch.setenv("MOTCUA_REMOTE_SIGNING_SP_PASSWORD", "bi-mat")
    health = get("remote_signing").check()
    assert health.status == "ok" and health.standin
    service.down()
    assert get("remote_signing").check().status == "unreachable"
    service.up()


def test_the_webhook_is_signed_with_the_shared_key(service: StandinRemoteSigning) -> None:
    received: list[tuple[bytes, str]] = []
    event = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.rfile.read(int(self.headers["Content-Length"])), self.headers["X-Signature"]))
            self.send_response(200)
            self.end_headers()
            event.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service.webhook(f"http://127.0.0.1:{server.server_address[1]}/hook", "khoa-chung")
    remote = client(service.url)
    remote.sign("lanhdao", "tx-w", "Ký", "", hashlib.sha256(b"x").digest(), "HS")
    service.confirm("tx-w")
    assert event.wait(10)
    server.shutdown()
    body, signature = received[0]
    assert json.loads(body)["transaction_id"] == "tx-w"
    assert webhook_verified("khoa-chung", body, signature) and not webhook_verified("khac", body, signature)
