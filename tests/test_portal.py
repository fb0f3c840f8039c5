"""The citizen portal's API: catalogue, online submission with files, and officers' downloads (both databases)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.dossiers.models import Attachment, Dossier
from engine.people.organisation import create_user
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork

from .conftest import PASSWORD, Api, FakeClock
from .test_flow import PATHS

GPXD = "gpxd-nha-o"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
APPLICANT = {"name": "Trần Văn Hùng", "id_number": "096085004567", "phone": "0987654321",
             "address": "Ấp Tân Phong, xã Tân Thành, tỉnh Cà Mau"}
REQUIRED = ("don-de-nghi", "giay-to-quyen-su-dung-dat", "ban-ve-thiet-ke")


@pytest.fixture
def portal_app(app_factory: Any, tmp_path: Path) -> Flask:
    return app_factory(upload_dir=tmp_path / "uploads", upload_max_bytes=4096)


@pytest.fixture
def api(portal_app: Flask) -> Api:
    return Api(portal_app.test_client())


def files(**overrides: tuple[bytes, str] | None) -> dict[str, Any]:
    chosen: dict[str, tuple[bytes, str] | None] = {code: (PDF, f"{code}.pdf") for code in REQUIRED}
    chosen.update(overrides)
    return {f"file:{code}": (io.BytesIO(content), name) for code, pair in chosen.items() if pair
            for content, name in [pair]}


def submit(api: Api, *, key: str | None = None, data: dict[str, Any] | None = None,
           applicant: dict[str, Any] | None = None, unit: str = "CM-AX", remote: str = "127.0.0.1",
           **file_overrides: Any) -> Any:
    submission = {"procedure": GPXD, "applicant": applicant or APPLICANT, "competent_unit": unit,
                  "data": data if data is not None else PATHS[GPXD]["start"]}
    headers = {"Idempotency-Key": key} if key else {}
    return api.client.post("/api/v1/public/dossiers", headers=headers, content_type="multipart/form-data",
                           data={"submission": json.dumps(submission), **files(**file_overrides)},
                           environ_base={"REMOTE_ADDR": remote})


def counts(app: Flask) -> tuple[int, int]:
    with app.extensions["motcua"].session_factory() as session:
        return (session.scalar(select(func.count()).select_from(Dossier)) or 0,
                session.scalar(select(func.count()).select_from(Attachment)) or 0)


def test_catalogue_search_ignores_diacritics_and_detail_lists_documents(api: Api) -> None:
    found = api.get("/public/procedures?q=GIAY phep  xay dung").get_json()["items"]
    assert [p["code"] for p in found] == [GPXD]
    assert len(api.get("/public/procedures").get_json()["items"]) == 6  # 2 written by hand, 4 from the catalogue
    detail = api.get(f"/public/procedures/{GPXD}").get_json()
    assert detail["legal_time"] == {"value": 15.0, "unit": "working_days", "cutoff": None,
                                    "source": detail["legal_time"]["source"]}
    assert [d["code"] for d in detail["documents"] if d["required"]] == list(REQUIRED)
    assert [u["code"] for u in detail["units"]] == ["CM-AX", "CM-TT"]  # communes only, not the province centre
    assert detail["start_form"]["components"] and detail["upload"]["max_bytes"] == 4096
    assert api.get("/public/procedures/khong-co").status_code == 404


def test_a_citizen_submits_online_with_files(api: Api, portal_app: Flask) -> None:
    resp = submit(api, **{"ban-ve-thiet-ke": (PNG, "../tài liệu/bản vẽ <mặt bằng>.png")})
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["code"].startswith("CM-AX-") and len(body["pin"]) == 8 and body["status"] == "registered"
    names = {a["document"]: a["name"] for a in body["attachments"]}
    assert names["ban-ve-thiet-ke"] == "bản vẽ _mặt bằng.png"  # no folders or markup; Vietnamese kept
    assert {a["content_type"] for a in body["attachments"]} == {"application/pdf", "image/png"}
    stored = Path(portal_app.extensions["motcua"].settings.upload_dir)
    assert sorted(p.name for p in stored.rglob("*") if p.is_file()) == sorted(
        hashlib.sha256(c).hexdigest() for c in {PDF, PNG})  # content-addressed, shared
    with portal_app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "submitted")).one()
        assert entry.actor_id is None and entry.detail["by"] == "applicant" and entry.detail["channel"] == "online"
        dossier = session.scalars(select(Dossier)).one()
        assert dossier.created_by is None and dossier.handler_id is None and dossier.channel == "online"
        assert dossier.applicant == APPLICANT  # no email given: none stored
    tracked = api.client.get(f"/api/v1/public/dossiers/{body['code']}", headers={"X-Dossier-Pin": body["pin"]})
    assert tracked.status_code == 200 and tracked.get_json()["status"] == "registered"
    received = api.post(f"/dossiers/{body['code']}/actions/receive", "tiepnhan", json={})
    assert received.status_code == 200 and received.get_json()["status"] == "received"


def test_an_exe_renamed_pdf_is_refused_naming_the_document(api: Api, portal_app: Flask) -> None:
    resp = submit(api, **{"don-de-nghi": (EXE, "don.pdf")})
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["errors"]["files"] == {"don-de-nghi": ["The file's content is not a PDF, JPEG or PNG."]}
    assert "Đơn đề nghị cấp giấy phép xây dựng" in body["detail"] and "don.pdf" in body["detail"]
    assert counts(portal_app) == (0, 0)


def test_an_oversize_file_is_refused_with_a_clear_body(api: Api, portal_app: Flask) -> None:
    resp = submit(api, **{"ban-ve-thiet-ke": (PDF + b"0" * 5000, "ban-ve.pdf")})
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["errors"]["files"] == {"ban-ve-thiet-ke": ["The file is larger than the size limit."]}
    assert "larger than 0.00390625 MB" in body["detail"] and "Bản sao bản vẽ thiết kế" in body["detail"]
    assert counts(portal_app) == (0, 0)


def test_missing_documents_and_bad_fields_are_reported_together(api: Api, portal_app: Flask) -> None:
    data = {**PATHS[GPXD]["start"], "so_tang": 0}
    resp = submit(api, data=data, applicant={**APPLICANT, "id_number": "123"}, unit="CM",
                  **{"giay-to-quyen-su-dung-dat": None, "ban-ve-thiet-ke": None})
    body = resp.get_json()
    assert resp.status_code == 422, body
    errors = body["errors"]
    assert errors["files"] == {"giay-to-quyen-su-dung-dat": ["This document is required."],
                               "ban-ve-thiet-ke": ["This document is required."]}
    assert list(errors["applicant"]) == ["id_number"] and list(errors["data"]) == ["so_tang"]
    assert errors["competent_unit"]  # the province centre does not handle a commune procedure
    assert counts(portal_app) == (0, 0)


def test_a_double_submit_with_the_same_token_makes_one_dossier(api: Api, portal_app: Flask) -> None:
    first, again = submit(api, key="tok-1"), submit(api, key="tok-1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.get_json()["code"] == again.get_json()["code"]
    assert first.get_json()["pin"] and again.get_json()["pin"] is None  # the PIN is shown once
    assert counts(portal_app) == (1, 3)
    assert submit(api, key="tok-2").get_json()["code"] != first.get_json()["code"]


def test_attachments_are_read_by_officers_in_scope_only(api: Api, portal_app: Flask) -> None:
    code = submit(api).get_json()["code"]
    with portal_app.extensions["motcua"].session_factory() as session:
        create_user(session, "tiepnhantt", PASSWORD, "Tiếp nhận Tân Thành", [("CM-TT", "reception")])
        session.commit()
    dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
    listed = {a["document"]: a for a in dossier["attachments"]}
    assert set(listed) == set(REQUIRED)
    url = listed["don-de-nghi"]["url"]
    assert url.startswith(f"/api/v1/dossiers/{code}/attachments/")
    token = api.token("tiepnhan")
    resp = api.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.mimetype == "application/pdf" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment;") and "don-de-nghi.pdf" in resp.headers[
        "Content-Disposition"]
    other = api.client.get(url, headers={"Authorization": f"Bearer {api.token('tiepnhantt')}"})
    assert other.status_code == 404
    assert api.get(f"/dossiers/{code}", "tiepnhantt").status_code == 404
    assert api.client.get(url).status_code == 404  # anonymous: as if it did not exist
    wrong = url.rsplit("/", 1)[0] + "/999999"
    assert api.client.get(wrong, headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_a_failed_submit_leaves_no_dossier_and_no_attachment_row(api: Api, portal_app: Flask,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    # Everything valid, files stored; the transaction fails after the rows were added.
    monkeypatch.setattr(UnitOfWork, "record", fail)
    resp = submit(api, key="tok-fail")
    assert resp.status_code == 500
    monkeypatch.undo()
    assert counts(portal_app) == (0, 0)
    assert submit(api, key="tok-fail").status_code == 201  # the key was not used up by the failure
    assert counts(portal_app) == (1, 3)


def test_a_malformed_submission_part_is_a_clear_400(api: Api) -> None:
    resp = api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data",
                           data={"submission": "{not json"})
    assert resp.status_code == 400 and "not JSON" in resp.get_json()["detail"]
    resp = api.client.post("/api/v1/public/dossiers", json={"procedure": GPXD})
    assert resp.status_code == 400 and "multipart" in resp.get_json()["detail"]


# --- the hourly limit per client address ------------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def limited_app(app_factory: Any, tmp_path: Path, clock: FakeClock) -> Flask:
    return app_factory(upload_dir=tmp_path / "uploads", upload_max_bytes=4096, submit_limit=2, clock=clock)


def test_online_submissions_are_limited_per_address_and_hour(limited_app: Flask, clock: FakeClock) -> None:
    api = Api(limited_app.test_client())
    first = submit(api, key="k-1")
    assert first.status_code == 201 and submit(api, key="k-2").status_code == 201
    replay = submit(api, key="k-1")  # a double submit is not a new submission: it neither counts nor is refused
    assert replay.status_code == 201 and replay.get_json()["code"] == first.get_json()["code"]
    clock.now += timedelta(minutes=20)
    refused = submit(api, key="k-3")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "too-many-attempts"
    assert int(refused.headers["Retry-After"]) == 40 * 60  # the hour opened by the first submission
    assert submit(api, key="k-1").status_code == 201  # still answered past the limit
    assert counts(limited_app) == (2, 6)
    other = submit(api, key="k-4", remote="203.0.113.7")  # another address has its own allowance
    assert other.status_code == 201, other.get_json()
    clock.now += timedelta(minutes=41)  # the hour is over
    assert submit(api, key="k-3").status_code == 201
    assert counts(limited_app) == (4, 12)


def test_refused_and_invalid_submissions_do_not_count(limited_app: Flask) -> None:
    api = Api(limited_app.test_client())
    for _ in range(3):
        assert submit(api, **{"don-de-nghi": (EXE, "don.pdf")}).status_code == 422
    assert submit(api, key="k-1").status_code == 201 and submit(api, key="k-2").status_code == 201
    assert submit(api, key="k-3").status_code == 429


def test_the_limit_holds_when_concurrent_submits_pass_the_early_check(limited_app: Flask,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(limited_app.test_client())
    assert submit(api, key="k-1").status_code == 201 and submit(api, key="k-2").status_code == 201
    # As if a third request had checked the count before the second one committed: the count taken with the
    # dossier still refuses it, and the refusal leaves no dossier behind.
    monkeypatch.setattr("engine.dossiers.portal.blocked_until", lambda *_args: None)
    refused = submit(api, key="k-3")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert counts(limited_app) == (2, 6)
    monkeypatch.undo()
    assert submit(api, key="k-3").status_code == 429  # the refused attempt did not use up a place either


# --- the submit page: the limit and a double submit ----------------------------------------------------
SUBMIT_PAGE = f"/procedures/{GPXD}/submit"


def open_form(client: Any) -> tuple[str, str]:
    """The submit page as a browser gets it: the session's CSRF token and the form's submission token."""
    html = client.get(SUBMIT_PAGE).get_data(as_text=True)
    found = [re.search(rf'name="{name}" value="([^"]+)"', html) for name in ("csrf_token", "submission_token")]
    assert all(found), html
    return found[0][1], found[1][1]  # type: ignore[index]


def post_form(client: Any, csrf: str, token: str, remote: str = "127.0.0.1") -> Any:
    fields = {"csrf_token": csrf, "submission_token": token, "competent_unit": "CM-AX",
              "data": json.dumps(PATHS[GPXD]["start"]), **{f"applicant_{k}": v for k, v in APPLICANT.items()}}
    return client.post(SUBMIT_PAGE, data={**fields, **files()}, content_type="multipart/form-data",
                       environ_base={"REMOTE_ADDR": remote})


def shown_receipt(client: Any) -> tuple[str, str | None]:
    html = client.get("/receipt").get_data(as_text=True)
    code = re.search(r"data-code>([^<]+)<", html)
    pin = re.search(r"data-pin>([0-9]+)<", html)
    assert code, html
    return code[1], pin[1] if pin else None


def test_the_submit_page_says_when_the_limit_is_reached_and_keeps_the_typed_data(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(2):
        csrf, token = open_form(client)
        assert post_form(client, csrf, token).status_code == 302
    csrf, token = open_form(client)
    resp = post_form(client, csrf, token)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= 3600
    assert "data-too-many" in html and "quá nhiều hồ sơ" in html and "Vui lòng thử lại sau 60 phút" in html
    assert 'value="Trần Văn Hùng"' in html and 'value="096085004567"' in html and f'value="{token}"' in html
    assert '<option value="CM-AX" selected>' in html
    resp = client.post(SUBMIT_PAGE + "?lang=en", content_type="multipart/form-data", data={
        "csrf_token": csrf, "submission_token": token, "data": "{}", "applicant_name": "Trần Văn Hùng"})
    assert resp.status_code == 429 and "too many dossiers have been sent from your network address" in \
        resp.get_data(as_text=True)
    assert counts(limited_app) == (2, 6)
    assert post_form(client, *open_form(client), remote="198.51.100.2").status_code == 302


def test_a_replay_from_the_same_browser_session_shows_the_pin_again(portal_app: Flask) -> None:
    client = portal_app.test_client()
    csrf, token = open_form(client)
    before = client.get_cookie("motcua_session")
    assert before is not None
    first = post_form(client, csrf, token)
    assert first.status_code == 302 and first.location.endswith("/receipt")
    code, pin = shown_receipt(client)
    assert pin and len(pin) == 8
    assert client.get("/receipt").status_code == 404  # shown once

    # The first response was lost (a double click, a reload on a slow line): the browser still holds the
    # cookie it had before, and sends the form again.
    client.set_cookie("motcua_session", before.value)
    again = post_form(client, csrf, token)
    assert again.status_code == 302 and pin not in again.location
    assert shown_receipt(client) == (code, pin)
    client.set_cookie("motcua_session", before.value)
    assert post_form(client, csrf, token).status_code == 302
    assert shown_receipt(client) == (code, pin)  # every replay from this session
    assert counts(portal_app) == (1, 3)
    tracked = client.get(f"/api/v1/public/dossiers/{code}", headers={"X-Dossier-Pin": pin})
    assert tracked.status_code == 200  # the very PIN of the dossier

    # Another browser with the same submission token (copied page, shared link): the code, never the PIN.
    stranger = portal_app.test_client()
    other_csrf, _ = open_form(stranger)
    assert post_form(stranger, other_csrf, token).status_code == 302
    html = stranger.get("/receipt").get_data(as_text=True)
    assert code in html and pin not in html and "data-replayed" in html
    assert counts(portal_app) == (1, 3)

    with portal_app.extensions["motcua"].session_factory() as session:  # the PIN is stored only as a hash
        dossier = session.scalars(select(Dossier)).one()
        stored = json.dumps([dossier.applicant, dossier.data, dossier.submission_key, dossier.pin_hash] + [
            [e.detail, e.after] for e in session.scalars(select(AuditEntry))], default=str)
        assert pin not in stored
