"""The unit seal with the key on a PKCS#11 token: SoftHSM (a software token, `apt-get install softhsm2`) holding
the demo unit key, its certificate and the chain, as an HSM or a USB token would."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.signing.keys import unit_certificate
from engine.signing.pades import seal
from engine.signing.validate import validate

from .pki_support import RunningPki, small_pdf

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, LABEL, PIN = "motcua-unit", "unit-seal", "246810"


@pytest.fixture(scope="module")
def token(demo_pki: RunningPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SoftHSM token with the unit key, its certificate and the CA certificates; the MOTCUA_SIGNING_* for it."""
    util = shutil.which("softhsm2-util")
    assert util and Path(MODULE).exists(), "SoftHSM is needed: apt-get install softhsm2"
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    run = {"check": True, "capture_output": True, "env": {**os.environ}}
    subprocess.run([util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "13579"], **run)
    subprocess.run([util, "--import", str(demo_pki.folder / "keys" / "unit.key.pem"), "--token", TOKEN,
                    "--label", LABEL, "--id", "01", "--pin", PIN], **run)
    library = pkcs11.lib(MODULE)
    with library.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        for name, label, ident in (("unit.pem", LABEL, b"\x01"), ("interm.pem", "issuing-ca", b"\x02"),
                                   ("root.pem", "root-ca", b"\x03")):
            cert = x509.load_pem_x509_certificate(demo_pki.path(name).read_bytes())
            session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                   Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                                   Attribute.LABEL: label, Attribute.ID: ident,
                                   Attribute.SUBJECT: cert.subject.public_bytes(),
                                   Attribute.VALUE: cert.public_bytes(Encoding.DER)})
    env = {k: v for k, v in demo_pki.env().items() if not k.startswith("MOTCUA_SIGNING_UNIT_")}
    yield {**env, "MOTCUA_SIGNING_UNIT_PKCS11_MODULE": MODULE, "MOTCUA_SIGNING_UNIT_PKCS11_TOKEN": TOKEN,
           "MOTCUA_SIGNING_UNIT_PKCS11_KEY_LABEL": LABEL, "MOTCUA_SIGNING_UNIT_PKCS11_PIN": PIN}
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def test_seal_with_the_key_on_a_token_validates(token: dict[str, str]) -> None:
    from engine.signing.config import SigningSettings

    settings = SigningSettings.from_env(token)
    assert settings.can_seal and settings.unit_pkcs12 is None
    cert = unit_certificate(settings)
    assert cert.subject.native["organization_name"] == "Ủy ban nhân dân phường An Xuyên"
    pdf = small_pdf()
    sealed = seal(pdf, settings, reason="Phê duyệt kết quả giải quyết TTHC", location="Cà Mau")
    assert sealed.startswith(pdf)
    report = validate(sealed, settings)
    assert report.ok, report
    assert report.signatures[0].field == "UnitSeal" and report.signatures[0].timestamped


def test_a_wrong_pin_is_a_clear_error(token: dict[str, str]) -> None:
    from engine.signing.config import SigningSettings
    from engine.signing.problems import SigningUnavailable

    settings = SigningSettings.from_env({**token, "MOTCUA_SIGNING_UNIT_PKCS11_PIN": "000000"})
    with pytest.raises(SigningUnavailable):
        seal(small_pdf(), settings, reason="x", location="y")
