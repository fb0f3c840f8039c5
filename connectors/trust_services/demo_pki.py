"""A demonstration public-key infrastructure for development and the tests: a root and an issuing CA, the unit's
organisation certificate (its seal), the leader's personal certificate, a second leader certificate that is
revoked, a time-stamping authority and an OCSP responder; plus an unknown root and a signer under it, for negative
tests. Keys are made with `cryptography` (RSA 2048), certificates by certomancer from the configuration below.

The certificates name the stand-in (standin.py) in their OCSP (AIA) and CRL distribution point URLs, so the port it
listens on is part of them: `make_demo_pki(folder, port)` keeps the keys and certificates in `folder` and reuses
them while they are valid for that port, and re-issues the certificates (same keys) when the port changes.

Files: root.pem, trust.pem (the trusted roots), unit.p12, leader.p12, leader-revoked.p12, unknown-ca.p12 (password
"motcua-demo"), and the certificates as PEM (unit.pem, leader.pem, ...)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PASSWORD = "motcua-demo"
ARCH = "motcua"
UNKNOWN_ARCH = "unknown"
PROVINCE = "Cà Mau"
# The seeded unit CM-AX (config/organisation.toml): its authority signs results; the centre is its unit
AUTHORITY = "Ủy ban nhân dân phường An Xuyên"
CENTRE = "Trung tâm Phục vụ hành chính công phường An Xuyên"
LEADER = "Lê Minh Lãnh Đạo"  # the seeded user lanhdao (api/cli.py)
KEYS = ("root", "interm", "ocsp", "tsa", "unit", "leader", "leader-revoked", "unknown-root", "unknown-signer")
CA_YEARS, LEAF_YEARS = 10, 2
META = "pki.json"


@dataclass(frozen=True)
class DemoPki:
    folder: Path
    port: int
    generated_at: datetime
    password: str = PASSWORD

    @property
    def url(self) -> str:  # where the stand-in serves OCSP, CRLs and time stamps
        return f"http://127.0.0.1:{self.port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.url}/{ARCH}/ocsp/interm"

    def path(self, name: str) -> Path:
        return self.folder / name

    @property
    def root_pem(self) -> Path:
        return self.path("root.pem")

    @property
    def trust_pem(self) -> Path:
        return self.path("trust.pem")

    @property
    def unit_p12(self) -> Path:
        return self.path("unit.p12")

    @property
    def leader_p12(self) -> Path:
        return self.path("leader.p12")

    @property
    def leader_revoked_p12(self) -> Path:
        return self.path("leader-revoked.p12")

    @property
    def unknown_ca_p12(self) -> Path:
        return self.path("unknown-ca.p12")

    @property
    def valid_to(self) -> datetime:
        return self.generated_at + timedelta(days=365 * LEAF_YEARS)

    def env(self) -> dict[str, str]:
        """The MOTCUA_SIGNING_* variables that make Motcua seal with the demo unit certificate."""
        return {"MOTCUA_SIGNING_UNIT_PKCS12": str(self.unit_p12), "MOTCUA_SIGNING_UNIT_PASSWORD": self.password,
                "MOTCUA_SIGNING_TSA_URL": self.tsa_url, "MOTCUA_SIGNING_TRUST_ROOTS": str(self.trust_pem)}

    def config(self) -> Any:
        """certomancer's configuration of this PKI (keys read from the folder)."""
        from certomancer.registry import CertomancerConfig

        from .fast_keys import install

        install()
        return CertomancerConfig(_config(self.url, self.generated_at), key_search_dir=str(self.folder / "keys"))


def make_demo_pki(folder: Path, port: int = 0) -> DemoPki:
    """The demo PKI in `folder` for a stand-in on 127.0.0.1:`port`: reused when its files are there, made for this
    port and valid for 30 days more; otherwise the certificates are issued again (and the keys made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / META
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        meta = json.loads(meta_path.read_text())
        found = DemoPki(folder, int(meta["port"]), datetime.fromisoformat(meta["generated_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        found = None
    if found is not None and (port in (0, found.port)) and found.valid_to > now + timedelta(days=30) and all(
            found.path(name).exists() for name in _OUTPUTS):
        return found
    pki = DemoPki(folder, port or (found.port if found else 0), now)
    _make_keys(folder / "keys")
    _issue(pki)
    meta_path.write_text(json.dumps({"port": pki.port, "generated_at": now.isoformat()}))
    return pki


_OUTPUTS = ("root.pem", "trust.pem", "unit.p12", "leader.p12", "leader-revoked.p12", "unknown-ca.p12", "unit.pem")


def _make_keys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in KEYS:
        target = folder / f"{name}.key.pem"
        if target.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.chmod(0o600)
        temporary.replace(target)


def _issue(pki: DemoPki) -> None:
    from certomancer.registry import ArchLabel, CertLabel

    config = pki.config()
    arch = config.get_pki_arch(ArchLabel(ARCH))
    unknown = config.get_pki_arch(ArchLabel(UNKNOWN_ARCH))
    password = pki.password.encode()

    def pem(found: Any, label: str) -> bytes:
        der = found.get_cert(CertLabel(label)).dump()
        from asn1crypto import pem as asn1_pem

        return bytes(asn1_pem.armor("CERTIFICATE", der))

    for label in ("root", "interm", "ocsp", "tsa", "unit", "leader", "leader-revoked"):
        pki.path(f"{label}.pem").write_bytes(pem(arch, label))
    pki.path("trust.pem").write_bytes(pem(arch, "root"))
    pki.path("unknown-root.pem").write_bytes(pem(unknown, "unknown-root"))
    for found, label, chain in ((arch, "unit", ("interm", "root")), (arch, "leader", ("interm", "root")),
                                (arch, "leader-revoked", ("interm", "root")),
                                (unknown, "unknown-signer", ("unknown-root",))):
        name = "unknown-ca" if label == "unknown-signer" else label
        pki.path(f"{name}.p12").write_bytes(_pkcs12(pki, found, label, chain, password))


def _pkcs12(pki: DemoPki, arch: Any, label: str, chain: tuple[str, ...], password: bytes) -> bytes:
    from certomancer.registry import CertLabel
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from .fast_keys import load_key

    def cert(name: str) -> x509.Certificate:
        return x509.load_der_x509_certificate(arch.get_cert(CertLabel(name)).dump())

    key = load_key((pki.folder / "keys" / f"{label}.key.pem").read_bytes())
    return pkcs12.serialize_key_and_certificates(None, key, cert(label), [cert(c) for c in chain],
                                                 BestAvailableEncryption(password))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _config(url: str, generated_at: datetime) -> dict[str, Any]:
    start = generated_at - timedelta(days=1)  # some slack for clocks that are a little behind
    ca = {"valid-from": _stamp(start), "valid-to": _stamp(generated_at + timedelta(days=365 * CA_YEARS))}
    leaf = {"valid-from": _stamp(start), "valid-to": _stamp(generated_at + timedelta(days=365 * LEAF_YEARS))}
    signer_usage = {"id": "key_usage", "critical": True,
                    "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]}}
    base = {"country-name": "VN", "organization-name": "Motcua Demo PKI"}
    person = {"country-name": "VN", "state-or-province-name": PROVINCE, "organization-name": AUTHORITY}
    keys = {name: {"path": f"{name}.key.pem"} for name in KEYS}
    return {
        "external-url-prefix": url,
        "keysets": {ARCH: {"keys": keys}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entities": {
                    "root": {**base, "common-name": "Motcua Demo Root CA"},
                    "interm": {**base, "common-name": "Motcua Demo Issuing CA"},
                    "ocsp": {**base, "common-name": "Motcua Demo OCSP Responder"},
                    "tsa": {**base, "common-name": "Motcua Demo Time Stamping Authority"},
                    "unit": {**person, "organizational-unit-name": CENTRE, "locality-name": PROVINCE,
                             "common-name": AUTHORITY},
                    "leader": {**person, "locality-name": PROVINCE, "common-name": LEADER},
                    "leader-revoked": {**person, "locality-name": PROVINCE, "common-name": LEADER},
                },
                "certs": {
                    "root": {"subject": "root", "issuer": "root", "validity": ca,
                             "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}]},
                    "interm": {"subject": "interm", "issuer": "root", "validity": ca,
                               "profiles": [{"id": "simple-ca", "params": {
                                   "max-path-len": 0, "crl-repo": "interm", "ocsp-service": "interm"}}]},
                    "ocsp": {"subject": "ocsp", "issuer": "interm", "validity": leaf, "profiles": ["ocsp-responder"]},
                    "tsa": {"subject": "tsa", "issuer": "interm", "validity": leaf, "extensions": [
                        {"id": "key_usage", "critical": True,
                         "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                        {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}]},
                    "unit": {"subject": "unit", "issuer": "interm", "validity": leaf, "extensions": [signer_usage]},
                    "leader": {"subject": "leader", "issuer": "interm", "validity": leaf,
                               "extensions": [signer_usage]},
                    "leader-revoked": {"subject": "leader-revoked", "issuer": "interm", "validity": leaf,
                                       "extensions": [signer_usage],
                                       "revocation": {"revoked-since": _stamp(generated_at - timedelta(minutes=1)),
                                                      "reason": "key_compromise"}},
                },
                "services": {
                    "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                    "crl-repo": {
                        "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P1D"},
                        "interm": {"for-issuer": "interm", "signing-key": "interm",
                                   "simulated-update-schedule": "P1D"}},
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa",
                                              "certs-to-embed": ["interm"]}},
                },
            },
            UNKNOWN_ARCH: {
                "keyset": ARCH,
                "entities": {
                    "unknown-root": {"country-name": "VN", "organization-name": "Không rõ",
                                     "common-name": "Unknown Root CA"},
                    "unknown-signer": {"country-name": "VN", "organization-name": AUTHORITY,
                                       "common-name": "Người ký không rõ"},
                },
                "certs": {
                    "unknown-root": {"subject": "unknown-root", "issuer": "unknown-root", "validity": ca,
                                     "profiles": ["simple-ca"]},
                    "unknown-signer": {"subject": "unknown-signer", "issuer": "unknown-root", "validity": leaf,
                                       "extensions": [signer_usage]},
                },
            },
        },
    }
