"""The demo PKI for tests: the session fixture `demo_pki` runs the stand-in trust services (certomancer's OCSP,
CRL and TSA over real HTTP on 127.0.0.1) with a PKI made for it in a temporary folder. Other areas use it:

    def test_x(demo_pki): settings = demo_pki.settings(); pades.seal(pdf, settings, ...)

`demo_pki.sign_digest(digest)` is what a remote signing service does with the leader's key (PKCS#1 v1.5 over a
SHA-256 digest); `plugin_sign(pdf, p12)` what a CA's browser plugin does (an incremental signature revision)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from connectors.trust_services.demo_pki import LEADER, PASSWORD, DemoPki
from connectors.trust_services.standin import StandinTrustServices, start
from engine.signing.aio import run_sync
from engine.signing.config import SigningSettings


@dataclass
class RunningPki:
    standin: StandinTrustServices

    @property
    def pki(self) -> DemoPki:
        return self.standin.pki

    @property
    def url(self) -> str:
        return self.standin.url

    @property
    def leader_name(self) -> str:
        return LEADER

    def __getattr__(self, name: str) -> Any:  # the paths: root_pem, trust_pem, unit_p12, leader_p12, ...
        return getattr(self.standin.pki, name)

    def env(self) -> dict[str, str]:
        return self.standin.env()

    def settings(self, **overrides: Any) -> SigningSettings:
        return replace(SigningSettings.from_env(self.env()), **overrides)

    def key_and_chain(self, p12: Path) -> tuple[Any, bytes, list[bytes]]:
        """(private key, certificate DER, chain DER) of a PKCS#12 file of the demo PKI."""
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

        key, cert, chain = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSWORD.encode())
        assert cert is not None
        return key, cert.public_bytes(Encoding.DER), [c.public_bytes(Encoding.DER) for c in chain]

    def sign_digest(self, digest: bytes, p12: Path | None = None) -> bytes:
        """The raw signature a remote signing service returns: RSA PKCS#1 v1.5 over a SHA-256 digest."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        key, _, _ = self.key_and_chain(p12 or self.pki.leader_p12)
        return bytes(key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())))


def plugin_sign(pdf: bytes, p12: Path, tsa_url: str | None = None, field_name: str = "LeaderSignature") -> bytes:
    """`pdf` signed as a CA's browser plugin does: one incremental revision with a PAdES signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD.encode())
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="Phê duyệt kết quả giải quyết TTHC", location="Cà Mau")
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)

    async def sign() -> bytes:
        out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=BytesIO())
        return bytes(out.getvalue())

    return run_sync(sign())  # a browser test's loop may be running on this thread


def small_pdf(text: str = "Giấy chứng nhận đăng ký hộ kinh doanh") -> bytes:
    """A small PDF/A-2b document, as Motcua renders its results."""
    from weasyprint import HTML

    return bytes(HTML(string=f"<html lang='vi'><body><h1>{text}</h1><p>Số: 01/GCN</p></body></html>")
                 .write_pdf(pdf_variant="pdf/a-2b"))


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPki]:
    standin = start(folder=tmp_path_factory.mktemp("pki"))
    yield RunningPki(standin)
    standin.stop()
