"""The citizen's return trips through the API, on SQLite and PostgreSQL: a supplement asked with documents of the
procedure's list and guidance, answered online with the code and PIN, accepted (the clock resumes) or asked again;
what tracking says for a refusal, a stop, a fee due and a result ready."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.dossiers.models import Attachment, Dossier, SupplementRequest
from engine.people.models import Unit
from engine.store.models import AuditEntry

from .conftest import Api, FakeClock
from .test_flow import PATHS, run_to_end

HKD = "ho-kinh-doanh"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock, tmp_path: Path) -> Flask:
    return app_factory(clock=clock, upload_dir=tmp_path / "uploads", upload_max_bytes=4096)


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def received(api: Api) -> tuple[str, str]:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": PATHS[HKD]["applicant"],
                                                   "data": PATHS[HKD]["start"]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["code"], resp.get_json()["pin"]


def act(api: Api, code: str, action: str, user: str = "tiepnhan", **params: Any) -> Any:
    return api.post(f"/dossiers/{code}/actions/{action}", user, json=params)


def track(api: Api, code: str, pin: str) -> Any:
    return api.get(f"/public/dossiers/{code}", headers={"X-Dossier-Pin": pin})


def send(api: Api, code: str, pin: str, files: dict[str, tuple[bytes, str]], note: str | None = None,
         remote: str = "127.0.0.1") -> Any:
    data: dict[str, Any] = {"pin": pin, **{f"file:{doc}": (io.BytesIO(content), name)
                                           for doc, (content, name) in files.items()}}
    if note:
        data["note"] = note
    return api.client.post(f"/api/v1/public/dossiers/{code}/supplement", data=data,
                           content_type="multipart/form-data", environ_base={"REMOTE_ADDR": remote})


def test_a_supplement_is_asked_answered_online_and_accepted_and_the_clock_resumes(api: Api, app: Flask,
                                                                                    clock: FakeClock) -> None:
    clock.at("2026-04-22 09:00")
    code, pin = received(api)
    due_before = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["due_at"]
    unknown = act(api, code, "request_supplement", documents=["khong-co"], guidance="x")
    assert unknown.status_code == 422 and "documents" in unknown.get_json()["errors"]
    asked = act(api, code, "request_supplement", documents=["bien-ban-hop-thanh-vien"],
                guidance="Nộp bản sao có chứng thực biên bản họp các thành viên hộ gia đình.")
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["status"] == "supplement_requested"

    tracked = track(api, code, pin).get_json()
    situation = tracked["situation"]
    assert situation["kind"] == "supplement"
    supplement = situation["supplement"]
    assert supplement["state"] == "open" and supplement["round"] == 1
    assert supplement["documents"] == [{"code": "bien-ban-hop-thanh-vien",
                                        "name": supplement["documents"][0]["name"]}]
    assert supplement["documents"][0]["name"].startswith("Bản sao biên bản họp thành viên")
    assert supplement["guidance"].startswith("Nộp bản sao có chứng thực")
    assert "Nguyễn" not in str(tracked)  # no personal data on the public side

    # a wrong PIN is an unknown code; a file that is not a PDF/JPEG/PNG, or none for the document named, a 422
    assert send(api, code, "00000000", {"bien-ban-hop-thanh-vien": (PDF, "bb.pdf")}).status_code == 404
    refused = send(api, code, pin, {"giay-de-nghi": (EXE, "virus.pdf")})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["files"] == {
        "giay-de-nghi": ["The file's content is not a PDF, JPEG or PNG."],
        "bien-ban-hop-thanh-vien": ["This document is required."]}
    assert send(api, code, pin, {}).status_code == 422

    clock.at("2026-04-24 10:00")  # two working days later
    sent = send(api, code, pin, {"bien-ban-hop-thanh-vien": (PDF, "biên bản họp.pdf")}, note="Đã bổ sung.")
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["state"] == "submitted"
    assert [f["name"] for f in sent.get_json()["files"]] == ["biên bản họp.pdf"]

    listed = api.get(f"/dossiers/{code}/supplements", "tiepnhan").get_json()["items"]
    assert listed[0]["state"] == "submitted" and listed[0]["note"] == "Đã bổ sung."
    download = api.get(listed[0]["files"][0]["url"].removeprefix("/api/v1"), "tiepnhan")
    assert download.status_code == 200 and download.data == PDF
    assert api.get(f"/dossiers/{code}/supplements").status_code == 401

    resumed = act(api, code, "supplement_received", note="Đủ hồ sơ.")
    assert resumed.status_code == 200, resumed.get_json()
    body = resumed.get_json()
    assert body["status"] == "received" and body["due_at"] > due_before  # moved by the paused working time
    assert track(api, code, pin).get_json()["situation"]["kind"] is None
    with app.extensions["motcua"].session_factory() as session:
        request = session.scalars(select(SupplementRequest)).one()
        assert (request.state, request.decided_by is not None) == ("accepted", True)
        assert session.scalars(select(Attachment.supplement_id)).all() == [request.id]
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.dossier_id == request.dossier_id)
                                  .order_by(AuditEntry.seq)).all()
        assert actions[-3:] == ["request_supplement", "supplement_submitted", "supplement_received"]
    assert send(api, code, pin, {"bien-ban-hop-thanh-vien": (PDF, "bb.pdf")}).status_code == 409


def test_reception_asks_again_and_a_new_request_waits(api: Api) -> None:
    code, pin = received(api)
    act(api, code, "request_supplement", missing=["Bản vẽ sơ đồ địa điểm kinh doanh"], guidance="Vẽ tay được.")
    assert send(api, code, pin, {"giay-de-nghi": (PDF, "so-do.pdf")}).status_code == 201
    again = act(api, code, "request_supplement_again", documents=["giay-de-nghi"], guidance="Cần bản có chữ ký.")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["status"] == "supplement_requested" and again.get_json()["supplement_count"] == 2
    supplement = track(api, code, pin).get_json()["situation"]["supplement"]
    assert (supplement["round"], supplement["state"], supplement["files"]) == (2, "open", [])
    rounds = api.get(f"/dossiers/{code}/supplements", "tiepnhan").get_json()["items"]
    assert [(r["round"], r["state"]) for r in rounds] == [(2, "open"), (1, "asked_again")]
    form02 = api.get(f"/dossiers/{code}/documents/supplement-request", "tiepnhan").get_data(as_text=True)
    assert "Cần bản có chữ ký." in form02 and "Vẽ tay được." not in form02  # the second request's guidance
    assert act(api, code, "request_supplement_again", "chuyenvien", missing=["x"]).status_code == 403


def test_tracking_says_why_and_what_to_do(api: Api, app: Flask) -> None:
    with app.extensions["motcua"].session_factory() as session:
        unit = session.get(Unit, "CM-AX")
        unit.address, unit.phone = "Số 1 đường Hùng Vương, phường An Xuyên", "0290 3831 234"
        session.commit()
    refused = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": PATHS[HKD]["applicant"],
                                                      "data": PATHS[HKD]["start"], "channel": "online"}).get_json()
    act(api, refused["code"], "refuse", reasons=["Tên hộ kinh doanh trùng trên địa bàn."])
    situation = track(api, refused["code"], refused["pin"]).get_json()["situation"]
    assert situation == {**situation, "kind": "refused", "reasons": ["Tên hộ kinh doanh trùng trên địa bàn."]}

    stopped, stopped_pin = received(api)
    act(api, stopped, "stop", "lanhdao", reason="Người nộp đề nghị dừng.")
    assert track(api, stopped, stopped_pin).get_json()["situation"]["reasons"] == ["Người nộp đề nghị dừng."]

    code, pin = received(api)
    act(api, code, "require_payment", amount=100000)
    due = track(api, code, pin).get_json()["situation"]
    assert (due["kind"], due["amount"], due["paid_at"]) == ("payment", 100000, None)
    act(api, code, "record_payment", online=False)
    run_to_end(api, HKD, code)
    ready = track(api, code, pin).get_json()
    assert ready["status"] == "processed"
    situation = ready["situation"]
    assert situation["kind"] == "ready" and situation["appointment"] == ready["due_at"]
    assert situation["place"] == {"name": "Trung tâm Phục vụ hành chính công phường An Xuyên",
                                  "address": "Số 1 đường Hùng Vương, phường An Xuyên", "phone": "0290 3831 234"}
    assert situation["paid_at"] is not None


def online(api: Api, data: dict[str, Any], **extra: Any) -> Any:
    submission = {"procedure": HKD, "applicant": {"name": "Nguyễn Thị Minh Anh", "id_number": "096188001234",
                                                  "phone": "0912345678", "address": "Phường An Xuyên"},
                  "competent_unit": "CM-AX", "data": data, **extra}
    return api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data",
                           data={"submission": json.dumps(submission),
                                 "file:giay-de-nghi": (io.BytesIO(PDF), "don.pdf")})


def test_an_empty_optional_field_is_accepted_and_the_applicant_is_typed_once(api: Api, app: Flask) -> None:
    bound = {"chu_ho_ten", "chu_ho_so_dinh_danh", "so_dien_thoai", "email", "chu_ho_dia_chi_lien_lac"}
    data = {k: v for k, v in PATHS[HKD]["start"].items() if k not in bound}
    assert online(api, {**data, "email": "khong-phai-email"}).get_json()["errors"]["data"] == {
        "email": ["Thư điện tử không đúng định dạng (ví dụ: ten@example.vn)."]}
    assert online(api, data, result_delivery="fax").get_json()["errors"] == {
        "result_delivery": ["Must be one of: counter, post, electronic."]}
    created = online(api, {**data, "email": ""}, result_delivery="electronic")  # form-js sends "" when empty
    assert created.status_code == 201, created.get_json()
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.query(Dossier).filter(Dossier.code == created.get_json()["code"]).one()
        assert dossier.result_delivery == "electronic"
        assert (dossier.data["chu_ho_ten"], dossier.data["chu_ho_so_dinh_danh"], dossier.data["email"]) == (
            "Nguyễn Thị Minh Anh", "096188001234", "")
