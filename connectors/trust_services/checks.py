"""The trust services' health: the unit certificate loads and is not expiring within 30 days, the time-stamping
authority answers a time-stamp request, and the certificate's OCSP responder answers for it (2 seconds each)."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from ..registry import Health
from .config import TrustSettings

TIMEOUT = 2.0
EXPIRY_MARGIN = timedelta(days=30)
LIMIT = 256 * 1024


def configured() -> bool:
    return TrustSettings.from_env().configured


def post(url: str, body: bytes, content_type: str, timeout: float) -> tuple[int, bytes]:
    """(status, body) of one binary POST (RFC 3161 / RFC 6960 speak DER, not JSON); OSError when no answer."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(LIMIT)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _tsa(url: str) -> Health | None:
    from asn1crypto import algos, tsp

    request = tsp.TimeStampReq({"version": 1, "message_imprint": {
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "hashed_message": hashlib.sha256(b"motcua health").digest()}, "nonce": int.from_bytes(os.urandom(8)),
        "cert_req": False})
    try:
        status, body = post(url, request.dump(), "application/timestamp-query", TIMEOUT)
    except OSError as exc:
        return Health("unreachable", f"TSA {url}: {getattr(exc, 'reason', exc)}"[:200])
    try:
        granted = tsp.TimeStampResp.load(body)["status"]["status"].native in ("granted", "granted_with_mods")
    except ValueError:
        granted = False
    return None if status == 200 and granted else Health("refused", f"TSA {url}: HTTP {status}, no time stamp")


def _ocsp(cert: object, issuer: object) -> Health | None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import AuthorityInformationAccessOID

    assert isinstance(cert, x509.Certificate) and isinstance(issuer, x509.Certificate)
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None  # no OCSP responder named: revocation comes from CRLs only
    urls = [a.access_location.value for a in access if a.access_method == AuthorityInformationAccessOID.OCSP]
    if not urls:
        return None
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    try:
        status, body = post(urls[0], request.public_bytes(serialization.Encoding.DER), "application/ocsp-request",
                            TIMEOUT)
    except OSError as exc:
        return Health("unreachable", f"OCSP {urls[0]}: {getattr(exc, 'reason', exc)}"[:200])
    from asn1crypto import ocsp as asn1_ocsp  # certomancer's fractional produced_at is not DER enough for pyca

    try:
        answered = asn1_ocsp.OCSPResponse.load(body)["response_status"].native == "successful"
    except ValueError:
        answered = False
    return None if status == 200 and answered else Health("refused", f"OCSP {urls[0]}: HTTP {status}")


def check() -> Health:
    settings = TrustSettings.from_env()
    if not settings.configured:
        return Health("not-configured", "MOTCUA_SIGNING_UNIT_PKCS12 / _PKCS11_MODULE are unset: nothing is sealed")
    if not settings.tsa_url:
        return Health("refused", "MOTCUA_SIGNING_TSA_URL is unset: no signature could be time-stamped")
    if settings.unit_pkcs12 is None:  # a token: its certificate is read when signing
        return _tsa(settings.tsa_url) or Health("ok", f"PKCS#11 {settings.pkcs11_module}; TSA {settings.tsa_url}")
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        _, cert, chain = pkcs12.load_key_and_certificates(settings.unit_pkcs12.read_bytes(),
                                                          settings.unit_password.encode() or None)
    except (OSError, ValueError) as exc:
        return Health("refused", f"{settings.unit_pkcs12}: {type(exc).__name__}, not a readable PKCS#12")
    if cert is None:
        return Health("refused", f"{settings.unit_pkcs12}: no certificate")
    left = cert.not_valid_after_utc - datetime.now(UTC)
    if left < EXPIRY_MARGIN:
        return Health("refused", f"the unit certificate expires on {cert.not_valid_after_utc:%Y-%m-%d}")
    issuer = next((c for c in chain if c.subject == cert.issuer), None)
    found = _tsa(settings.tsa_url) or (_ocsp(cert, issuer) if issuer is not None else None)
    if found is not None:
        return found
    standin = cert.issuer.rfc4514_string().startswith("CN=Motcua Demo")
    subject = cert.subject.rfc4514_string()
    return Health("ok", f"{subject}, valid {left.days} more days; TSA {settings.tsa_url}", standin=standin)
