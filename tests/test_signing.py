"""Signatures on Motcua's PDFs against the demo PKI served by the stand-in trust services (real HTTP on 127.0.0.1):
the unit's seal (PAdES-B-LTA), a leader's signature made elsewhere (prepare / finish), a browser plugin's upload,
validation of hostile files, detached manifests. Asserted with pyHanko's own validator where it matters."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from connectors.trust_services.demo_pki import AUTHORITY, CENTRE, LEADER, make_demo_pki
from engine.signing import pades
from engine.signing.aio import run_sync
from engine.signing.manifest import sign_detached, verify_detached
from engine.signing.pades import accept_uploaded, finish_external, prepare_external, seal
from engine.signing.problems import MESSAGES_VI, SignatureRefused, SigningUnavailable
from engine.signing.validate import validate

from .pki_support import RunningPki, plugin_sign, small_pdf

REASON, PLACE = "Phê duyệt kết quả giải quyết TTHC", "Ủy ban nhân dân phường An Xuyên"


@pytest.fixture(scope="module")
def original() -> bytes:
    return small_pdf()


@pytest.fixture(scope="module")
def sealed(demo_pki: RunningPki, original: bytes) -> bytes:
    return seal(original, demo_pki.settings(), reason=REASON, location=PLACE)


@pytest.fixture(scope="module")
def leader_signed(demo_pki: RunningPki, original: bytes) -> bytes:
    _, cert, chain = demo_pki.key_and_chain(demo_pki.leader_p12)
    prepared = prepare_external(original, cert, chain, demo_pki.settings(), reason=REASON, location=PLACE)
    return finish_external(prepared.state, demo_pki.sign_digest(prepared.data_to_be_signed), demo_pki.settings())


def _embedded(pdf: bytes) -> list[Any]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return list(PdfFileReader(BytesIO(pdf)).embedded_signatures)


def _pyhanko_status(pdf: bytes, field: str, context: Any) -> Any:
    from pyhanko.sign.validation import async_validate_pdf_signature

    embedded = next(e for e in _embedded(pdf) if e.field_name == field)
    return run_sync(async_validate_pdf_signature(embedded, signer_validation_context=context,
                                                 ts_validation_context=context))


def _offline_context(demo_pki: RunningPki, pdf: bytes | None) -> Any:
    """Trust in the demo root, no fetching, revocation checked hard: only what the file carries can satisfy it."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext

    roots = demo_pki.settings().roots()
    if pdf is None:
        return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="hard-fail", crls=[],
                                 ocsps=[])
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(pdf)))
    return dss.as_validation_context({"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"})


# --- the demo PKI ---------------------------------------------------------------------------------------------
def test_demo_pki_is_made_quickly_kept_and_reissued_for_another_port(tmp_path: Path) -> None:
    started = time.monotonic()
    pki = make_demo_pki(tmp_path, 40001)
    made = time.monotonic() - started
    assert made < 8, made  # RSA 2048 keys and the certificates: about 3 s on a developer machine
    for path in (pki.root_pem, pki.trust_pem, pki.unit_p12, pki.leader_p12, pki.leader_revoked_p12,
                 pki.unknown_ca_p12):
        assert path.stat().st_size > 0
    unit = pki.path("unit.pem").read_bytes()
    started = time.monotonic()
    again = make_demo_pki(tmp_path, 40001)
    assert time.monotonic() - started < 0.5 and again == pki and pki.path("unit.pem").read_bytes() == unit
    assert make_demo_pki(tmp_path) == pki  # no port: whichever it was made for
    with pytest.raises(ValueError):
        make_demo_pki(tmp_path / "empty")  # the first time, the certificates need the stand-in's port
    keys = sorted((p.name, p.read_bytes()) for p in (tmp_path / "keys").iterdir())
    moved = make_demo_pki(tmp_path, 40002)
    assert moved.port == 40002 and pki.path("unit.pem").read_bytes() != unit  # OCSP/CRL URLs name the new port
    assert sorted((p.name, p.read_bytes()) for p in (tmp_path / "keys").iterdir()) == keys


def test_demo_certificates_name_the_unit_and_the_leader(demo_pki: RunningPki) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    unit = x509.load_pem_x509_certificate(demo_pki.path("unit.pem").read_bytes())
    assert unit.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == AUTHORITY
    assert unit.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == CENTRE
    usage = unit.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    access = unit.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [a.access_location.value for a in access] == [demo_pki.ocsp_url]
    leader = x509.load_pem_x509_certificate(demo_pki.path("leader.pem").read_bytes())
    assert leader.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == LEADER
    tsa = x509.load_pem_x509_certificate(demo_pki.path("tsa.pem").read_bytes())
    assert tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.TIME_STAMPING])


# --- the unit's seal ------------------------------------------------------------------------------------------
def test_seal_is_an_incremental_pades_lta_signature_that_validates(demo_pki: RunningPki, original: bytes,
                                                                  sealed: bytes) -> None:
    assert sealed.startswith(original)  # the PDF/A original stays byte for byte
    kinds = [(e.field_name, str(e.sig_object_type)) for e in _embedded(sealed)]
    assert kinds[0] == ("UnitSeal", "/Sig") and kinds[-1][1] == "/DocTimeStamp"
    status = _pyhanko_status(sealed, "UnitSeal", demo_pki.settings().validation_context())
    assert status.bottom_line and status.trusted and status.timestamp_validity is not None
    assert status.timestamp_validity.trusted
    report = validate(sealed, demo_pki.settings())
    assert report.ok and report.problem is None
    [signature] = report.signatures
    assert (signature.field, signature.signer_name, signature.organisation, signature.unit) == (
        "UnitSeal", AUTHORITY, AUTHORITY, CENTRE)
    assert signature.timestamped and signature.intact and signature.trusted and not signature.revoked
    assert signature.signed_at is not None and signature.signed_at.utcoffset().total_seconds() == 0


def test_sealed_file_validates_offline_from_its_embedded_revocation_data(demo_pki: RunningPki,
                                                                        sealed: bytes) -> None:
    """LTV: with the OCSP/CRL/TSA server down and fetching off, the DSS alone proves the chain not revoked."""
    demo_pki.standin.down()
    try:
        with_dss = _pyhanko_status(sealed, "UnitSeal", _offline_context(demo_pki, sealed))
        assert with_dss.bottom_line and with_dss.trusted
        without = _pyhanko_status(sealed, "UnitSeal", _offline_context(demo_pki, None))
        assert not without.bottom_line  # the embedded data is what made the difference
        assert validate(sealed, demo_pki.settings(timeout=1.0)).ok  # ours, too, with the server down
    finally:
        demo_pki.standin.up()


def test_sealed_file_stays_valid_after_its_certificates_expire(demo_pki: RunningPki, sealed: bytes,
                                                               original: bytes) -> None:
    """Three years on, the unit's and the TSA's certificates (two years) have expired: the seal is checked as of
    its time stamp with the file's own validation data, offline. A signature without them is not valid then."""
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=3 * 365)
    demo_pki.standin.down()
    try:
        report = validate(sealed, demo_pki.settings(timeout=1.0), at=later)
        unstamped = validate(plugin_sign(original, demo_pki.leader_p12), demo_pki.settings(timeout=1.0), at=later)
    finally:
        demo_pki.standin.up()
    assert report.ok, report
    assert not unstamped.ok and unstamped.problem in ("expired", "invalid")


# --- a leader's signature made elsewhere (remote signing) ----------------------------------------------------
def test_prepare_and_finish_external_signature(demo_pki: RunningPki, original: bytes, leader_signed: bytes) -> None:
    _, cert, chain = demo_pki.key_and_chain(demo_pki.leader_p12)
    prepared = prepare_external(original, cert, chain, demo_pki.settings(), reason=REASON, location=PLACE)
    assert len(prepared.data_to_be_signed) == 32 and isinstance(prepared.state, bytes)
    json.loads(prepared.state)  # persistable as it is
    assert leader_signed.startswith(original)
    status = _pyhanko_status(leader_signed, "LeaderSignature", demo_pki.settings().validation_context())
    assert status.bottom_line and status.timestamp_validity is not None
    assert _pyhanko_status(leader_signed, "LeaderSignature", _offline_context(demo_pki, leader_signed)).bottom_line
    report = validate(leader_signed, demo_pki.settings())
    assert report.ok and [s.signer_name for s in report.signatures] == [LEADER]


def test_leader_signature_then_unit_seal_both_validate(demo_pki: RunningPki, leader_signed: bytes) -> None:
    both = seal(leader_signed, demo_pki.settings(), reason=REASON, location=PLACE)
    report = validate(both, demo_pki.settings())
    assert report.ok, report
    assert [s.field for s in report.signatures] == ["LeaderSignature", "UnitSeal"]
    assert all(s.problem is None and s.timestamped for s in report.signatures)


def test_finish_refuses_a_wrong_signature_value_and_a_broken_state(demo_pki: RunningPki, original: bytes) -> None:
    _, cert, chain = demo_pki.key_and_chain(demo_pki.leader_p12)
    prepared = prepare_external(original, cert, chain, demo_pki.settings(), reason=REASON, location=PLACE)
    wrong_key = demo_pki.sign_digest(prepared.data_to_be_signed, demo_pki.unit_p12)
    with pytest.raises(SignatureRefused) as refused:
        finish_external(prepared.state, wrong_key, demo_pki.settings())
    assert refused.value.code == "invalid" and refused.value.message_vi == MESSAGES_VI["invalid"]
    for cert in (b"", b"garbage", b"0\x82\x01"):
        with pytest.raises(SignatureRefused) as refused:
            prepare_external(original, cert, chain, demo_pki.settings(), reason=REASON, location=PLACE)
        assert refused.value.code == "invalid"
    for state in (b"", b"not json", json.dumps({"v": 99}).encode(), b'{"v": 1}'):
        with pytest.raises(SignatureRefused) as refused:
            finish_external(state, b"x" * 256, demo_pki.settings())
        assert refused.value.code == "invalid_state"


def test_revoked_leader_is_refused_when_finishing_and_a_down_tsa_is_unavailable(demo_pki: RunningPki,
                                                                               original: bytes) -> None:
    _, cert, chain = demo_pki.key_and_chain(demo_pki.leader_revoked_p12)
    prepared = prepare_external(original, cert, chain, demo_pki.settings(), reason=REASON, location=PLACE)
    signature = demo_pki.sign_digest(prepared.data_to_be_signed, demo_pki.leader_revoked_p12)
    with pytest.raises(SignatureRefused) as refused:
        finish_external(prepared.state, signature, demo_pki.settings())
    assert refused.value.code == "revoked"
    demo_pki.standin.down()
    try:
        with pytest.raises(SigningUnavailable) as unavailable:
            seal(original, demo_pki.settings(timeout=1.0), reason=REASON, location=PLACE)
        with pytest.raises(SigningUnavailable):
            sign_detached(b"manifest", demo_pki.settings(timeout=1.0))
    finally:
        demo_pki.standin.up()
    assert "thử lại" in unavailable.value.message_vi


# --- problems -------------------------------------------------------------------------------------------------
def test_a_changed_byte_is_changed(demo_pki: RunningPki, sealed: bytes) -> None:
    at = sealed.index(b"Producer")
    tampered = sealed[:at] + b"Pxoducer" + sealed[at + 8:]
    report = validate(tampered, demo_pki.settings())
    assert not report.ok and report.problem == "changed"
    assert not report.signatures[0].intact


def test_revoked_leader_is_revoked_and_refused(demo_pki: RunningPki, original: bytes) -> None:
    uploaded = plugin_sign(original, demo_pki.leader_revoked_p12, demo_pki.tsa_url)
    report = validate(uploaded, demo_pki.settings())
    assert report.problem == "revoked" and report.signatures[0].revoked
    with pytest.raises(SignatureRefused) as refused:
        accept_uploaded(original, uploaded, demo_pki.settings())
    assert refused.value.code == "revoked"


def test_unknown_ca_is_unknown_ca_and_refused(demo_pki: RunningPki, original: bytes) -> None:
    uploaded = plugin_sign(original, demo_pki.unknown_ca_p12)
    report = validate(uploaded, demo_pki.settings())
    assert report.problem == "unknown_ca" and not report.signatures[0].trusted
    with pytest.raises(SignatureRefused) as refused:
        accept_uploaded(original, uploaded, demo_pki.settings())
    assert refused.value.code == "unknown_ca"


def test_expired_leader_is_expired_and_refused(demo_pki: RunningPki, original: bytes) -> None:
    uploaded = plugin_sign(original, demo_pki.leader_expired_p12, demo_pki.tsa_url)
    assert validate(uploaded, demo_pki.settings()).problem == "expired"
    with pytest.raises(SignatureRefused) as refused:
        accept_uploaded(original, uploaded, demo_pki.settings())
    assert refused.value.code == "expired"


def test_content_changed_in_a_later_revision_is_changed(demo_pki: RunningPki, sealed: bytes) -> None:
    """The signed bytes are intact, but a revision appended after the seal draws over the page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (SUA DOI) Tj ET"))
    writer.add_stream_to_page(0, overlay)
    out = BytesIO()
    writer.write(out)
    report = validate(out.getvalue(), demo_pki.settings())
    assert report.problem == "changed" and report.signatures[0].intact


def test_plugin_upload_of_the_original_plus_one_signature_is_accepted(demo_pki: RunningPki,
                                                                      original: bytes) -> None:
    uploaded = plugin_sign(original, demo_pki.leader_p12, demo_pki.tsa_url)
    report = accept_uploaded(original, uploaded, demo_pki.settings())
    assert report.signer_name == LEADER and report.covers_whole and report.trusted and report.timestamped


def test_plugin_upload_that_is_not_the_original_plus_one_revision_is_refused(demo_pki: RunningPki,
                                                                           original: bytes) -> None:
    regenerated = plugin_sign(small_pdf("Giấy chứng nhận đăng ký hộ kinh doanh (bản khác)"), demo_pki.leader_p12)
    twice = plugin_sign(plugin_sign(original, demo_pki.leader_p12), demo_pki.leader_p12, field_name="Second")
    for uploaded in (regenerated, twice, original, small_pdf()):
        with pytest.raises(SignatureRefused) as refused:
            accept_uploaded(original, uploaded, demo_pki.settings())
        assert refused.value.code == "not_incremental", uploaded[:20]
    with pytest.raises(SignatureRefused) as refused:
        accept_uploaded(original, b"<html>not a pdf</html>", demo_pki.settings())
    assert refused.value.code == "not_pdf"


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n" + bytes(range(256)) * 40,
                                  b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\ntrailer <</Root 1 0 R>>",
                                  b"%PDF-1.7\n" + b"[" * 200_000])
def test_garbage_is_a_clean_problem(demo_pki: RunningPki, data: bytes) -> None:
    report = validate(data, demo_pki.settings())
    assert not report.ok and report.problem in ("not_pdf", "no_signature") and report.signatures == []


def test_validation_is_bounded_in_size_and_time(demo_pki: RunningPki, sealed: bytes, original: bytes) -> None:
    assert validate(original, demo_pki.settings()).problem == "no_signature"
    started = time.monotonic()
    big = validate(sealed, demo_pki.settings(verify_max_bytes=len(sealed) - 1))
    assert (big.problem, big.detail) == ("invalid", "too_large") and time.monotonic() - started < 0.5
    with pytest.raises(SignatureRefused) as refused:
        accept_uploaded(original, sealed, demo_pki.settings(verify_max_bytes=len(sealed) - 1))
    assert refused.value.code == "too_large"
    started = time.monotonic()
    slow = validate(sealed, demo_pki.settings(validate_timeout=0.01))
    assert (slow.problem, slow.detail) == ("invalid", "timeout") and time.monotonic() - started < 6


# --- detached signatures (manifests) --------------------------------------------------------------------------
def test_detached_signature_roundtrip_and_tamper(demo_pki: RunningPki) -> None:
    data = json.dumps({"dossier": "000.00.00.H12-251201-0001", "sha256": "ab" * 32}).encode()
    cms = sign_detached(data, demo_pki.settings())
    report = verify_detached(data, cms, demo_pki.settings())
    assert report.problem is None and report.trusted and report.timestamped and report.signer_name == AUTHORITY
    assert verify_detached(data + b" ", cms, demo_pki.settings()).problem == "changed"
    assert verify_detached(data, b"garbage", demo_pki.settings()).problem == "invalid"
    assert verify_detached(data, cms[:-10], demo_pki.settings()).problem == "invalid"


def test_signing_works_when_the_caller_runs_an_event_loop(demo_pki: RunningPki) -> None:
    """A caller inside a running loop (a browser test's, an async server's) cannot asyncio.run: the signer must
    still sign and verify instead of failing as "unavailable"."""
    data = b"{}"

    async def inside() -> bool:
        cms = sign_detached(data, demo_pki.settings())
        return verify_detached(data, cms, demo_pki.settings()).problem is None

    assert run_sync(inside())  # a loop of its own, even when one already runs here (a browser test's)


# --- settings ---------------------------------------------------------------------------------------------------
def test_settings_from_env_with_bad_values_fall_back(demo_pki: RunningPki) -> None:
    from engine.signing.config import SigningSettings

    settings = SigningSettings.from_env({**demo_pki.env(), "MOTCUA_SIGNING_TIMEOUT": "soon",
                                         "MOTCUA_SIGNING_VALIDATE_TIMEOUT": "-3", "MOTCUA_VERIFY_MAX_MB": "many",
                                         "MOTCUA_SIGNING_RENEW_BEFORE_DAYS": "0"})
    assert (settings.timeout, settings.validate_timeout, settings.verify_max_bytes) == (10.0, 20.0, 20 * 2 ** 20)
    assert settings.renew_before_days == 365
    assert settings.can_seal and settings.tsa_url == demo_pki.tsa_url
    assert not SigningSettings.from_env({}).can_seal
    assert replace(settings, unit_pkcs12=None).roots()  # the trust roots do not depend on the unit key


def test_sealing_unconfigured_says_so(original: bytes) -> None:
    from engine.signing.config import SigningNotConfigured, SigningSettings

    with pytest.raises(SigningNotConfigured):
        pades.seal(original, SigningSettings(), reason=REASON, location=PLACE)
