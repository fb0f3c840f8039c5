"""The public verification (/verify and POST /api/v1/verifications) against the demo PKI's stand-in (OCSP, CRL,
TSA over real HTTP): a result signed by the leader and sealed by the unit is valid, with the signers' names, units
and timestamped times; a changed byte, a revoked signer, an unknown CA, an unsigned file are each reported as such;
hostile uploads (empty, over the cap, 100 MB, not a PDF, garbage behind %PDF, a nesting bomb) never get a 5xx; the
dossier code + PIN way verifies the issued result, a wrong PIN is 404 and many are throttled (429). SQLite and
PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.trust_services.demo_pki import CENTRE, LEADER
from engine.signing.config import SigningSettings
from engine.signing.pades import seal

from .conftest import Api
from .test_flow import run_to_end, submit
from .verification_support import issue, minimal_pdf, sign_with, tampered

HKD = "ho-kinh-doanh"


@dataclass(frozen=True)
class Documents:
    signed: bytes  # the leader's signature, then the unit's seal (PAdES-B-LTA)
    changed: bytes
    revoked: bytes
    unknown: bytes
    unsigned: bytes


@pytest.fixture(scope="module")
def documents(demo_pki: Any) -> Documents:
    settings = SigningSettings.from_env(demo_pki.env())
    unsigned = minimal_pdf()
    leader = sign_with(unsigned, demo_pki.leader_p12, demo_pki.tsa_url, "LeaderSignature")
    signed = seal(leader, settings, reason="Ban hành kết quả", location="Cà Mau")
    return Documents(signed, tampered(signed), sign_with(unsigned, demo_pki.leader_revoked_p12, demo_pki.tsa_url),
                     sign_with(unsigned, demo_pki.unknown_ca_p12, None), unsigned)


@pytest.fixture
def app(app_factory: Any, demo_pki: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name, value in {**demo_pki.env(), "MOTCUA_DOCUMENT_STORE_DIR": str(tmp_path / "documents")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MOTCUA_VERIFY_MAX_MB", raising=False)
    yield app_factory()


def verify(client: FlaskClient, data: bytes | None, **form: str) -> Any:
    from io import BytesIO
    body: dict[str, Any] = dict(form)
    if data is not None:
        body["file"] = (BytesIO(data), "van-ban.pdf")
    return client.post("/api/v1/verifications", data=body, content_type="multipart/form-data")


def test_the_api_tells_a_valid_result_from_a_changed_revoked_unknown_or_unsigned_one(
        app: Flask, documents: Documents) -> None:
    client = app.test_client()
    answer = verify(client, documents.signed)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert (report["ok"], report["headline"], report["problem"]) == (True, "valid", None)
    signers = {s["signer_name"]: s for s in report["signatures"]}
    assert LEADER in signers and len(signers) == 2, signers
    for s in report["signatures"]:
        assert s["intact"] and s["trusted"] and not s["revoked"] and s["certificate_valid"], s
        assert s["timestamped"] and s["signed_at"].endswith("+07:00"), s  # shown in Vietnam's time
    assert any(CENTRE in (s["unit"] or "") or CENTRE in (s["organisation"] or "")
               for s in report["signatures"]), report  # the unit's seal names it

    for pdf, problem in ((documents.changed, "changed"), (documents.revoked, "revoked"),
                         (documents.unknown, "unknown_ca"), (documents.unsigned, "no_signature")):
        answer = verify(client, pdf)
        assert answer.status_code == 200, (problem, answer.get_data(as_text=True))
        report = answer.get_json()
        assert (report["ok"], report["headline"], report["problem"]) == (False, problem, problem), report


def test_hostile_uploads_get_an_answer_never_a_5xx(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    for data, code in ((b"", "empty-file"), (b"GIF89a" + os.urandom(200), "not-pdf"),
                       (b"<html>%PDF-1.7</html>", "not-pdf"), (None, "no-file")):
        answer = verify(client, data)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json", code
        assert answer.get_json()["type"].endswith(code), answer.get_json()
    answer = client.post("/api/v1/verifications", json={"file": "x"})  # no multipart at all
    assert answer.status_code == 422 and answer.get_json()["type"].endswith("no-file")
    # what starts like a PDF and is none, or one built to exhaust a parser: an answer (ok=false), not an error
    for data in (b"%PDF-1.7\n" + os.urandom(4096), b"%PDF-1.4\n1 0 obj\n" + b"[" * 200_000,
                 b"%PDF-1.4\n" + b"1 0 obj << /Length 999999999 >> stream\n" + b"\x00" * 1000,
                 minimal_pdf().replace(b"startxref", b"startxrex")):
        answer = verify(client, data)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        assert answer.get_json()["ok"] is False and answer.get_json()["headline"] in ("not_pdf", "invalid",
                                                                                       "no_signature")
    monkeypatch.setenv("MOTCUA_VERIFY_MAX_MB", "1")
    answer = verify(client, b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10))
    assert answer.status_code == 422 and answer.get_json()["type"].endswith("file-too-large")
    answer = verify(client, b"%PDF-1.7\n" + b"0" * (100 * 1024 * 1024))  # over the request limit: 413
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    # the page alike: an answer in Vietnamese, never a 5xx
    from io import BytesIO
    pages, token = page_client(app)
    for form, status, words in (
            ({}, 422, "Hãy chọn tệp PDF, hoặc nhập mã hồ sơ và mã PIN."),
            ({"file": (BytesIO(b""), "rong.pdf")}, 422, "Tệp rỗng"),
            ({"file": (BytesIO(b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)), "lon.pdf")}, 422, "Tệp lớn hơn 1 MB."),
            ({"file": (BytesIO(b"%PDF-1.4\n" + b"<<" * 100_000), "bom.pdf")}, 200, "data-headline"),
            ({"code": "CM-AX-000000-00001"}, 422, "Hãy nhập mã hồ sơ và mã PIN."),
            ({"code": "x" * 5000, "pin": "y" * 5000}, 404, "Không tìm thấy hồ sơ"),
            ({"file": (BytesIO(b"%PDF-1.7\n" + b"0" * (100 * 1024 * 1024)), "rat-lon.pdf")}, 413, "413")):
        shown = pages.post("/verify", data={"csrf_token": token, **form}, content_type="multipart/form-data")
        assert shown.status_code == status and words in shown.get_data(as_text=True), (status, words)
        assert "Traceback" not in shown.get_data(as_text=True)


def page_client(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert client.get("/verify").status_code == 200
    with client.session_transaction() as session:
        return client, session["csrf"]


def test_the_page_shows_who_signed_when_and_what_is_wrong(app: Flask, documents: Documents) -> None:
    from io import BytesIO
    client, token = page_client(app)
    shown = client.post("/verify", data={"csrf_token": token, "file": (BytesIO(documents.signed), "kq.pdf")},
                        content_type="multipart/form-data")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Văn bản hợp lệ" in html and LEADER in html and CENTRE in html, html[-3000:]
    assert 'data-verification="valid"' in html and "theo dấu thời gian" in html
    for pdf, words in ((documents.changed, "Văn bản đã bị thay đổi sau khi ký"),
                       (documents.revoked, "Chứng thư số đã bị thu hồi"),
                       (documents.unknown, "Chứng thư số không do tổ chức cung cấp dịch vụ tin cậy cấp"),
                       (documents.unsigned, "Tệp không có chữ ký số"), (b"plain text", "Không phải tệp PDF")):
        shown = client.post("/verify", data={"csrf_token": token, "file": (BytesIO(pdf), "kq.pdf")},
                            content_type="multipart/form-data")
        assert shown.status_code in (200, 422) and words in shown.get_data(as_text=True), words
        assert "Văn bản hợp lệ" not in shown.get_data(as_text=True)
    # a form without the session's CSRF token is refused
    assert client.post("/verify", data={"file": (BytesIO(documents.signed), "kq.pdf")},
                       content_type="multipart/form-data").status_code == 403


def test_the_issued_result_by_dossier_code_and_pin(app: Flask, documents: Documents) -> None:
    api = Api(app.test_client())
    created = submit(api, HKD)
    code, pin = created["code"], created["pin"]
    run_to_end(api, HKD, code)
    client, token = page_client(app)
    before = client.post("/verify", data={"csrf_token": token, "code": code, "pin": pin})
    assert before.status_code == 409 and "Hồ sơ chưa có kết quả điện tử đã ký số." in before.get_data(as_text=True)
    issue(app, code, documents.signed)
    shown = client.post("/verify", data={"csrf_token": token, "code": code, "pin": pin})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Văn bản hợp lệ" in html and code in html and LEADER in html
    answer = verify(app.test_client(), None, code=code, pin=pin)
    assert answer.status_code == 200 and answer.get_json()["ok"] and answer.get_json()["dossier"] == code
    answer = verify(app.test_client(), None, code=code, pin="00000000")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    wrong = [client.post("/verify", data={"csrf_token": token, "code": code, "pin": f"1234567{i}"})
             for i in range(8)]
    assert [w.status_code for w in wrong[:4]] == [404] * 4 and wrong[-1].status_code == 429
    assert "Bạn đã tra cứu sai quá nhiều lần." in wrong[-1].get_data(as_text=True)
    assert wrong[-1].headers["Retry-After"]
