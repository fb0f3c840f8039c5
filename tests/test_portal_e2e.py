"""Motcua and the national portal end to end, over real HTTP: the portal connector pushes the sync queue to the
stand-in portal, which checks every record against its field list and keeps them in order; an outage of the
portal and its recovery; a dossier the portal forwards to Motcua's inbound endpoint. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from connectors.portal.client import PortalClient
from connectors.portal.config import PortalSettings
from connectors.portal.inbound import TOKEN_ENV
from connectors.portal.standin import StandinPortal, start
from engine.dossiers.models import Dossier
from engine.sync.delivery import deliver
from engine.sync.models import PortalMessage

from .conftest import Api, FakeClock
from .test_flow import PATHS, run_to_end
from .test_portal_inbound import HKD_NATIONAL, with_national_codes

HKD = "ho-kinh-doanh"
APPLICANT = {**PATHS[HKD]["applicant"], "email": "minhanh@example.vn"}
TOKEN = "ma-chuyen-tiep-thu-nghiem"


@pytest.fixture
def portal() -> Iterator[StandinPortal]:
    standin = start(username="motcua-camau", password="mat-khau-cong")
    yield standin
    standin.stop()


def client(standin: StandinPortal, timeout: float = 5.0) -> PortalClient:
    return PortalClient(PortalSettings(url=standin.url, auth_path="/auth", call_path="/service",
                                       username="motcua-camau", password="mat-khau-cong", dstcode="000.00.00.H12",
                                       unit="000.00.00.H12", timeout=timeout, inbound_token=TOKEN))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


def push(app: Flask, standin: StandinPortal, timeout: float = 5.0) -> Any:
    with app.extensions["motcua"].uow() as uow:
        return deliver(uow, client(standin, timeout).push)


def act(api: Api, code: str, action: str, user: str = "tatca", **params: Any) -> None:
    resp = api.post(f"/dossiers/{code}/actions/{action}", user, json=params)
    assert resp.status_code == 200, resp.get_json()


def submit(api: Api, channel: str = "counter") -> str:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": APPLICANT,
                                                   "data": PATHS[HKD]["start"], "channel": channel})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])


def dossier_records(standin: StandinPortal, code: str) -> list[dict[str, Any]]:
    return [r for r in standin.accepted("DongBoHoSoMC") if r["SoBienNhan"] == code]


def test_a_dossiers_whole_lifecycle_reaches_the_portal_in_order_with_its_codes_and_dates(
        api: Api, app: Flask, clock: FakeClock, portal: StandinPortal) -> None:
    clock.at("2026-04-22 09:00")
    code = submit(api, channel="online")  # 1 registered
    push(app, portal)
    clock.at("2026-04-22 09:30")
    act(api, code, "receive", "tiepnhan")  # 2 received
    clock.at("2026-04-22 10:00")
    act(api, code, "request_supplement", documents=["bien-ban-hop-thanh-vien"], guidance="Bản sao có chứng thực.")
    push(app, portal)
    clock.at("2026-04-23 08:00")
    act(api, code, "supplement_received")
    act(api, code, "require_payment", amount=100000)  # 6
    clock.at("2026-04-23 09:00")
    act(api, code, "record_payment", online=False)
    clock.at("2026-04-24 10:00")
    run_to_end(api, HKD, code)  # 4 processing ... 9 processed
    push(app, portal)
    clock.at("2026-04-27 15:00")
    act(api, code, "return_result", recipient=APPLICANT["name"])  # 10
    done = push(app, portal)
    assert done.failed == 0 and done.retrying == 0

    records = dossier_records(portal, code)
    statuses = [r["TrangThaiHoSo"] for r in records]
    assert statuses[:6] == [1, 2, 5, 2, 6, 2]
    assert statuses[-3:] == [4, 9, 10] and set(statuses[6:]) <= {4, 9, 10}
    first, last = records[0], records[-1]
    assert first["MaHoSo"] == code and first["HinhThuc"] == 2 and first["ChuHoSo"] == APPLICANT["name"]
    assert first["NgayTiepNhan"] == ""  # not received yet
    assert records[1]["NgayTiepNhan"] == "20260422093000"  # local time, yyyyMMddHHmmss
    assert last["NgayTra"] == "20260427150000"
    due = api.get(f"/dossiers/{code}", "tatca").get_json()["due_at"]  # e.g. 2026-05-04T17:00:00+07:00
    assert last["NgayHenTra"] == due[:19].replace("-", "").replace("T", "").replace(":", "")
    [supplement] = last["DanhSachHoSoBoSung"]
    assert supplement["NgayBoSung"] == "20260422100000"
    assert [f["Gia"] for f in last["DanhSachLePhi"]] == [100000]
    # every change was followed by its progress, in the same order
    bodies = [r for r in portal.records if r["accepted"]]
    services = [r["service"] for r in bodies]
    assert services == ["DongBoHoSoMC", "CapNhatTienDoHoSoMC"] * (len(services) // 2)
    progress = [r["body"]["data"][0] for r in bodies if r["service"] == "CapNhatTienDoHoSoMC"]
    assert [p["TrangThai"] for p in progress] == statuses
    assert all(p["MaHoSo"] == code and len(p["ThoiDiemXuLy"]) == 14 for p in progress)
    # the first push created the record at the portal, the rest updated it
    pushes = [r["body"] for r in bodies if r["service"] == "DongBoHoSoMC"]
    assert [p["isUpdating"] for p in pushes] == [False] + [True] * (len(pushes) - 1)
    with app.extensions["motcua"].session_factory() as session:
        states = set(session.scalars(select(PortalMessage.state)))
    assert states == {"sent"}


def test_an_outage_of_the_portal_is_survived_and_the_backlog_drains_in_order(
        api: Api, app: Flask, clock: FakeClock, portal: StandinPortal) -> None:
    clock.at("2026-04-22 09:00")
    codes = [submit(api) for _ in range(3)]
    portal.down()
    for code in codes:
        act(api, code, "request_supplement", documents=["bien-ban-hop-thanh-vien"], guidance="Thiếu biên bản.")
    for hour in range(10, 15):  # hours of outage: every attempt fails, none is given up
        clock.at(f"2026-04-22 {hour}:00")
        done = push(app, portal, timeout=1.0)
        assert done.sent == 0
    with app.extensions["motcua"].session_factory() as session:
        waiting = list(session.scalars(select(PortalMessage).where(PortalMessage.state == "pending")))
    assert len(waiting) == 6 and all(m.last_error for m in waiting if m.attempts)
    for code in codes:
        act(api, code, "supplement_received")
    portal.up()
    clock.at("2026-04-22 16:00")
    for _ in range(5):
        push(app, portal)
    for code in codes:
        assert [r["TrangThaiHoSo"] for r in dossier_records(portal, code)] == [2, 5, 2]
    with app.extensions["motcua"].session_factory() as session:
        assert set(session.scalars(select(PortalMessage.state))) == {"sent"}


def test_a_record_the_portal_refuses_is_failed_with_its_reason_and_a_leader_resends_it(
        api: Api, app: Flask, clock: FakeClock, portal: StandinPortal) -> None:
    clock.at("2026-04-22 09:00")
    code = submit(api)
    portal.fail(1, "Mã thủ tục không tồn tại trên Cổng")
    push(app, portal)
    state = api.get(f"/dossiers/{code}/portal-sync", "lanhdao").get_json()
    assert state["state"] == "failed" and "Mã thủ tục không tồn tại" in state["reason"]
    assert api.post(f"/dossiers/{code}/portal-sync", "chuyenvien").status_code == 403
    resent = api.post(f"/dossiers/{code}/portal-sync", "lanhdao")
    assert resent.status_code in (200, 202), resent.get_json()
    push(app, portal)
    assert api.get(f"/dossiers/{code}/portal-sync", "lanhdao").get_json()["state"] == "synced"
    assert [r["TrangThaiHoSo"] for r in dossier_records(portal, code)] == [2]


@pytest.fixture
def live_app(app_factory: Any, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[tuple[Flask, str]]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    app = app_factory(clock=clock, processes_dir=with_national_codes(tmp_path / "processes"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_dossier_submitted_on_the_portal_reaches_the_competent_unit_once(
        live_app: tuple[Flask, str], portal: StandinPortal) -> None:
    app, url = live_app
    record = {"MaHoSo": "G22.99-260422-0001", "MaTTHC": HKD_NATIONAL, "TenTTHC": "Đăng ký thành lập hộ kinh doanh",
              "ChuHoSo": "Trần Thị Bích Ngọc", "LoaiDoiTuong": 1, "SoCMND": "096185000123",
              "DiaChi": "Khóm 3, phường An Xuyên, Cà Mau", "Email": "ngoc@example.vn", "SoDienThoai": "0912345678",
              "TrichYeuHoSo": "Đăng ký hộ kinh doanh tạp hóa", "NgayNopHoSo": "20260422083000", "HinhThuc": 2,
              "MaDonVi": "CM-AX", "DuLieuToKhai": PATHS[HKD]["start"], "TaiLieuNop": []}
    status, answer = portal.forward(f"{url}/api/v1/portal/inbound", TOKEN, [record])
    assert status == 200, answer
    [result] = answer["results"]
    assert result["created"] is True and result["MaHoSo"] == record["MaHoSo"]
    status, again = portal.forward(f"{url}/api/v1/portal/inbound", TOKEN, [record])
    assert status == 200 and again["results"][0]["created"] is False
    assert again["results"][0]["SoBienNhan"] == result["SoBienNhan"]
    status, _ = portal.forward(f"{url}/api/v1/portal/inbound", "sai-ma", [record])
    assert status in (401, 403)
    with app.extensions["motcua"].session_factory() as session:
        [dossier] = session.scalars(select(Dossier).where(Dossier.portal_code == record["MaHoSo"]))
    assert (dossier.channel, dossier.status, dossier.competent_unit) == ("online", "registered", "CM-AX")
    assert dossier.applicant_name == "Trần Thị Bích Ngọc"
    # Motcua then tells the portal about it under the portal's own code
    push(app, portal)
    [pushed] = portal.accepted("DongBoHoSoMC")
    assert pushed["MaHoSo"] == record["MaHoSo"] and pushed["SoBienNhan"] == dossier.code
    [progress] = portal.accepted("CapNhatTienDoHoSoMC")
    assert progress["TrangThai"] == 1 and "Cổng Dịch vụ công quốc gia" in progress["NoiDungXuLy"]
