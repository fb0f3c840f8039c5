"""Dossiers submitted on the national public service portal reach the province: POST /api/v1/portal/inbound, a
real HTTP request through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.portal.inbound import MAPPING_FILE, TOKEN_ENV, load_mapping, read_record
from engine.config import PROJECT_ROOT
from engine.dossiers.models import Dossier
from engine.store.models import AuditEntry

from .conftest import PASSWORD, Api
from .test_flow import PATHS, run_to_end

TOKEN = "bi-mat-cua-cong-dich-vu-cong"
GPXD, GPXD_NATIONAL = "gpxd-nha-o", "1.009994"
HKD_NATIONAL = "2.000720"


def with_national_codes(target: Path) -> Path:
    """The shipped procedures, each with a national code (MaTTHC) in its metadata."""
    shutil.copytree(PROJECT_ROOT / "processes", target)
    for code, national in ((GPXD, GPXD_NATIONAL), ("ho-kinh-doanh", HKD_NATIONAL)):
        toml = target / code / "procedure.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(re.sub(r'(?m)^national_code = ".*"$', f'national_code = "{national}"', text, count=1),
                        encoding="utf-8")
    return target


@pytest.fixture
def inbound_app(app_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return app_factory(processes_dir=with_national_codes(tmp_path / "processes"))


@pytest.fixture
def api(inbound_app: Flask) -> Api:
    return Api(inbound_app.test_client())


def record(**overrides: Any) -> dict[str, Any]:
    found = {
        "MaHoSo": "G22.99-261201-0001", "MaTTHC": GPXD_NATIONAL, "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "ChuHoSo": "Trần Văn Hùng", "LoaiDoiTuong": "1", "SoCMND": "096085004567", "SoDienThoai": "0987654321",
        "Email": "hung.tran@example.vn", "DiaChi": "Ấp Tân Phong, xã Tân Thành, tỉnh Cà Mau",
        "TrichYeuHoSo": "Cấp giấy phép xây dựng nhà ở riêng lẻ – Trần Văn Hùng", "NgayNopHoSo": "20261201083000",
        "HinhThuc": 2, "MaDonVi": "000.00.01.H12", "DuLieuToKhai": PATHS[GPXD]["start"],
        "TaiLieuNop": [
            {"TepDinhKemId": "f-1", "TenTepDinhKem": "Đơn đề nghị cấp phép.pdf", "MaThanhPhanHoSo": "don-de-nghi",
             "DuongDanTaiTepTin": "https://dichvucong.gov.vn/files/f-1", "IsDeleted": False},
            {"TepDinhKemId": "f-2", "TenTepDinhKem": "Bản cũ.pdf", "MaThanhPhanHoSo": "don-de-nghi",
             "DuongDanTaiTepTin": "https://dichvucong.gov.vn/files/f-2", "IsDeleted": True},
            {"TepDinhKemId": "f-3", "TenTepDinhKem": "Bản vẽ.pdf", "MaThanhPhanHoSo": "ban-ve-thiet-ke",
             "DuongDanTaiTepTin": "javascript:alert(1)"}]}
    found.update(overrides)
    return {k: v for k, v in found.items() if v is not None}


def forward(api: Api, *records: dict[str, Any], token: str | None = TOKEN, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if "data" in kw:
        return api.client.post("/api/v1/portal/inbound", headers=headers, data=kw["data"],
                               content_type="application/json")
    return api.client.post("/api/v1/portal/inbound", headers=headers, json={"data": list(records)})


def dossiers(app: Flask) -> list[Dossier]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(Dossier).order_by(Dossier.id)))


def audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_forwarded_record_becomes_one_online_dossier_and_again_changes_nothing(api: Api,
                                                                                   inbound_app: Flask) -> None:
    resp = forward(api, record())
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["error_code"] == 0 and len(body["results"]) == 1
    result = body["results"][0]
    assert (result["MaHoSo"], result["created"], result["error_code"]) == ("G22.99-261201-0001", True, 0)
    assert result["SoBienNhan"].startswith("CM-AX-")  # the unit table mapped the portal's MaDonVi
    [dossier] = dossiers(inbound_app)
    assert (dossier.code, dossier.portal_code) == (result["SoBienNhan"], "G22.99-261201-0001")
    assert (dossier.status, dossier.channel, dossier.competent_unit, dossier.reception_unit) == (
        "registered", "online", "CM-AX", "CM-AX")
    assert dossier.created_by is None and dossier.pin_hash and dossier.fee_amount == 75000
    assert dossier.applicant == {"kind": "person", "name": "Trần Văn Hùng", "id_number": "096085004567",
                                 "phone": "0987654321", "email": "hung.tran@example.vn",
                                 "address": "Ấp Tân Phong, xã Tân Thành, tỉnh Cà Mau"}
    assert (dossier.applicant_kind, dossier.applicant_key) == ("person", "096085004567")
    assert dossier.data["so_thua"] == "245" and dossier.data["dien_tich_lo_dat"] == 120.0
    # the deleted document is left out; a link that is not a web address is not kept as a link
    assert dossier.portal_documents == [
        {"id": "f-1", "name": "Đơn đề nghị cấp phép.pdf", "document_code": "don-de-nghi",
         "url": "https://dichvucong.gov.vn/files/f-1"},
        {"id": "f-3", "name": "Bản vẽ.pdf", "document_code": "ban-ve-thiet-ke"}]
    [entry] = audit(inbound_app, "portal_received")
    assert entry.actor_id is None and entry.dossier_id == dossier.id and entry.actor_unit == "CM-AX"
    assert entry.detail["portal_code"] == "G22.99-261201-0001" and entry.detail["by"] == "national_portal"
    assert entry.detail["submitted_at"] == "2026-12-01T01:30:00+00:00"  # 08:30 in Asia/Ho_Chi_Minh

    again = forward(api, record(ChuHoSo="Người Khác", DuLieuToKhai={}))  # the same MaHoSo: nothing changes
    assert again.status_code == 200
    assert again.get_json()["results"] == [{**result, "created": False}]
    [same] = dossiers(inbound_app)
    assert same.applicant_name == "Trần Văn Hùng" and same.lock_version == dossier.lock_version
    assert len(audit(inbound_app, "portal_received")) == 1


def test_the_api_shows_the_portal_code(api: Api, inbound_app: Flask) -> None:
    code = forward(api, record()).get_json()["results"][0]["SoBienNhan"]
    detail = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
    assert detail["portal_code"] == "G22.99-261201-0001" and len(detail["portal_documents"]) == 2
    assert api.post(f"/dossiers/{code}/actions/receive", "tiepnhan", json={}).status_code == 200
    register = api.get("/dossiers?channel=online", "tiepnhan").get_json()
    assert [(i["code"], i["portal_code"]) for i in register["items"]] == [(code, "G22.99-261201-0001")]


def test_the_token_is_checked_and_the_path_is_off_without_it(api: Api, inbound_app: Flask,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for token in (None, "sai-ma", TOKEN + "x", ""):
        resp = forward(api, record(), token=token)
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json", token
    officer = api.client.post("/api/v1/portal/inbound", json={"data": [record()]},
                              headers={"Authorization": f"Bearer {api.token('tiepnhan')}"})
    assert officer.status_code == 401  # an officer's sign-in token is not the portal's
    monkeypatch.delenv(TOKEN_ENV)
    off = forward(api, record())
    assert off.status_code == 404 and off.mimetype == "application/problem+json"
    assert dossiers(inbound_app) == []


def test_each_record_is_refused_on_its_own_with_a_reason(api: Api, inbound_app: Flask) -> None:
    bad_data = {**PATHS[GPXD]["start"], "so_tang": "ba", "so_thua": None}
    resp = forward(api,
                   record(MaHoSo="P-1", MaTTHC="9.999999"),  # no published procedure has it
                   record(MaHoSo="P-2", MaDonVi="KHONG-CO"),  # no such unit
                   record(MaHoSo="P-3", MaDonVi="CM"),  # the province centre does not handle a commune procedure
                   record(MaHoSo="P-4", DuLieuToKhai=bad_data),  # the declaration fails the form
                   record(MaHoSo="P-5", SoCMND="123"),  # the applicant's personal id is not 12 digits
                   record(MaHoSo="P-6", NgayNopHoSo="01/12/2026"),
                   record(MaHoSo="P-7", LoaiDoiTuong="9"),
                   record(MaHoSo=None),
                   record(MaHoSo="P-9", MaDonVi="CM-TT"))  # Motcua's own unit code is taken as it is
    assert resp.status_code == 200
    results = {r["MaHoSo"]: r for r in resp.get_json()["results"]}
    assert [r["error_code"] for r in resp.get_json()["results"]] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert "Thủ tục mã 9.999999 chưa được công bố" in results["P-1"]["reason"]
    assert results["P-2"]["reason"] == "Không có đơn vị mã KHONG-CO trên hệ thống Một cửa của tỉnh"
    assert "không giải quyết thủ tục Cấp giấy phép xây dựng nhà ở riêng lẻ" in results["P-3"]["reason"]
    assert results["P-4"]["reason"] == "Hồ sơ không hợp lệ: tờ khai (so_tang, so_thua)"
    assert set(results["P-4"]["errors"]["data"]) == {"so_tang", "so_thua"}
    assert results["P-5"]["reason"] == "Hồ sơ không hợp lệ: thông tin chủ hồ sơ (id_number)"
    assert "NgayNopHoSo không đúng dạng yyyyMMddHHmmss" in results["P-6"]["reason"]
    assert "Loại đối tượng (LoaiDoiTuong) không hợp lệ" in results["P-7"]["reason"]
    assert "Mã hồ sơ (MaHoSo) thiếu" in results[None]["reason"]
    assert all(r["SoBienNhan"] is None and r["created"] is False for r in results.values() if r["error_code"])
    [dossier] = dossiers(inbound_app)
    assert (dossier.portal_code, dossier.competent_unit) == ("P-9", "CM-TT")


def test_a_business_is_an_applicant_with_its_tax_code(api: Api, inbound_app: Flask) -> None:
    hkd = PATHS["ho-kinh-doanh"]["start"]
    resp = forward(api, record(MaHoSo="B-1", MaTTHC=HKD_NATIONAL, LoaiDoiTuong=2, ChuHoSo="Công ty TNHH Minh Anh",
                               SoCMND=None, MaSoThue="6300123456", NguoiDaiDien="Nguyễn Thị Minh Anh",
                               DuLieuToKhai=hkd),
                   record(MaHoSo="B-2", MaTTHC=HKD_NATIONAL, LoaiDoiTuong=2, SoCMND=None, DuLieuToKhai=hkd))
    first, second = resp.get_json()["results"]
    assert first["error_code"] == 0, first
    assert second["error_code"] == 1 and "tax_code" in second["errors"]["applicant"]
    [dossier] = dossiers(inbound_app)
    assert (dossier.applicant_kind, dossier.applicant_key) == ("business", "6300123456")


def test_oversized_and_hostile_bodies_are_refused_as_problems(api: Api, inbound_app: Flask) -> None:
    huge = forward(api, record(DiaChi="x" * (1024 * 1024)))
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"
    assert huge.get_json()["max_bytes"] == 1024 * 1024
    for raw in (b"{\"data\": [", b"[]", b"{\"data\": {}}", b"{\"data\": []}", b"{\"data\": [1, 2]}",
                b"{\"data\": [{}], \"other\": 1}", json.dumps({"data": [record()] * 101}).encode(),
                b"{\"data\": [{\"MaHoSo\": \"a\\u0000b\"}]}", b"{\"data\": [" + b"[" * 60 + b"]" * 60 + b"]}",
                b"\xff\xfe"):
        resp = forward(api, data=raw)
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json", raw[:40]
    nested = forward(api, record(DuLieuToKhai=[1, 2]), record(MaHoSo="N-2", TaiLieuNop={"a": 1}),
                     record(MaHoSo="N-3", ChuHoSo={"ten": "x"}), record(MaHoSo="N-4", TaiLieuNop=["x"]))
    assert nested.status_code == 200
    assert [r["error_code"] for r in nested.get_json()["results"]] == [1, 1, 1, 1]
    assert dossiers(inbound_app) == []


def page_client(app: Flask, username: str) -> Any:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    signed = client.post("/login", data={"csrf_token": token[1], "username": username, "password": PASSWORD})
    assert signed.status_code == 302
    return client


def test_reception_sees_and_receives_it_and_the_dossier_runs_on(api: Api, inbound_app: Flask) -> None:
    code = forward(api, record()).get_json()["results"][0]["SoBienNhan"]
    pages = page_client(inbound_app, "tiepnhan")
    inbox = pages.get("/inbox").get_data(as_text=True)
    assert f'data-waiting-dossier="{code}"' in inbox and 'data-portal-code="G22.99-261201-0001"' in inbox
    page = pages.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'data-portal-code="G22.99-261201-0001"' in page and "Mã hồ sơ trên Cổng: G22.99-261201-0001" in page
    assert 'href="https://dichvucong.gov.vn/files/f-1"' in page and "javascript:" not in page
    english = pages.get(f"/dossiers/{code}?lang=en").get_data(as_text=True)
    assert "Dossier code on the portal: G22.99-261201-0001" in english

    received = api.post(f"/dossiers/{code}/actions/receive", "tiepnhan", json={})
    assert received.status_code == 200 and received.get_json()["status"] == "received"
    register = pages.get("/register").get_data(as_text=True)
    assert 'data-portal-code="G22.99-261201-0001"' in register
    assert run_to_end(api, GPXD, code)[-1] == "Task_NhanKetQua"
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] in ("processed", "returned")
    # forwarded again after it ran on: still the same dossier, untouched
    again = forward(api, record()).get_json()["results"][0]
    assert (again["SoBienNhan"], again["created"]) == (code, False)


def test_the_same_record_forwarded_twice_at_once_makes_one_dossier(pg_app_factory: Any, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    app = pg_app_factory(processes_dir=with_national_codes(tmp_path / "processes"))
    barrier = threading.Barrier(4)
    answers: list[Any] = []

    def send() -> None:
        client = Api(app.test_client())
        barrier.wait()
        answers.append(forward(client, record(MaHoSo="RACE-1")))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 4
    results = [a.get_json()["results"][0] for a in answers]
    assert len({r["SoBienNhan"] for r in results}) == 1 and sum(r["created"] for r in results) == 1
    with app.extensions["motcua"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 1


def test_the_field_names_and_unit_table_are_data(tmp_path: Path) -> None:
    """Renaming a field or adding a unit is a change of the mapping file, not of the code."""
    text = MAPPING_FILE.read_text(encoding="utf-8").replace('portal_code = "MaHoSo"', 'portal_code = "SoHoSoQG"')
    (tmp_path / "inbound.toml").write_text(text + '"H12.99" = "CM-TT"\n', encoding="utf-8")
    read = read_record(record(MaHoSo=None, SoHoSoQG="Q-1", MaDonVi="H12.99", NgayNopHoSo="20261231235959"),
                       load_mapping(tmp_path / "inbound.toml"))
    assert (read["portal_code"], read["unit"]) == ("Q-1", "CM-TT")
    assert read["submitted_at"] == "2026-12-31T16:59:59+00:00"
    assert read_record(record())["portal_code"] == "G22.99-261201-0001"  # the shipped mapping is untouched
