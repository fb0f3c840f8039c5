"""The national portal connector against its real stand-in on 127.0.0.1: sign-in, the session reused and renewed
(once for all threads), a full sync message pushed as DongBoHoSoMC then CapNhatTienDoHoSoMC with the portal's
codes and local yyyyMMddHHmmss dates, a refused record (permanent), the portal down and back (not permanent), a
slow portal (timeout), the procedure catalogue, dossiers forwarded to Motcua, the stand-in's HTTP controls, and
the health check's states. No database: the connector knows none (the admin page is in test_connectors_page.py)."""

from __future__ import annotations

import json
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import connectors.registry
from api.connectors_cli import start_standins
from connectors.portal.client import PortalClient, PortalError, client_from_env, pusher_from_env
from connectors.portal.config import PortalSettings
from connectors.portal.mapping import load
from connectors.portal.standin import StandinPortal, start
from connectors.registry import check_all, get
from engine.dossiers.status import CHANNELS, STATUS_CODES

CATALOGUE = Path(__file__).parent / "data" / "portal_catalogue.json"
USER, PASSWORD = "motcua-camau", "mat-khau-cong"


def full_payload(**dossier: Any) -> dict[str, Any]:
    """A sync message as the engine builds it (the shared contract), every list filled."""
    base: dict[str, Any] = {
        "code": "G22.99-261201-0001", "receipt_number": "CM-AX-2612-0001",
        "procedure": {"code": "ho-kinh-doanh", "national_code": "1.001612", "name": "Đăng ký thành lập hộ kinh doanh",
                      "field_code": "TLDN", "field_name": "Thành lập và hoạt động của hộ kinh doanh"},
        "applicant": {"name": "Công ty TNHH Đất Mũi", "kind": "business", "email": "datmui@example.vn",
                      "phone": "0912345678", "id_number": None},
        "summary": "Đăng ký thành lập hộ kinh doanh – Công ty TNHH Đất Mũi", "status": "supplement_requested",
        "channel": "postal", "received_at": "2026-12-01T03:04:05+00:00", "due_at": "2026-12-04T10:00:00+00:00",
        "processed_at": None, "returned_at": None, "finished_at": None,
        "unit": {"code": "CM-AX", "name": "UBND phường An Xuyên"}, "note": "Thiếu bản sao giấy tờ",
        "fees": [{"code": "LP-HKD", "name": "Lệ phí đăng ký hộ kinh doanh", "amount": 100000, "kind": "fee",
                  "method": "online", "paid_at": "2026-12-01T03:10:00+00:00"}],
        "documents": [{"id": "41", "name": "giay-de-nghi.pdf", "document_code": "GDN", "deleted": False,
                       "url": "https://motcua.example/files/41"},
                      {"id": "42", "name": "cu.pdf", "document_code": "GDN", "deleted": True, "url": None}],
        "results": [{"id": "r1", "name": "Giấy chứng nhận đăng ký hộ kinh doanh", "document_code": "GCN",
                     "url": None}],
        "supplements": [{"id": "s1", "requested_by": "Nguyễn Văn Tiếp", "content": "Bổ sung bản sao CCCD",
                         "requested_at": "2026-12-01T17:30:00+00:00", "received_at": None, "state": "requested",
                         "due_before": "2026-12-04T10:00:00+00:00", "due_after": None}],
    }
    base.update(dossier)
    return {"message_id": 7, "updating": True, "dossier": base,
            "progress": {"officer": "Nguyễn Văn Tiếp", "title": "Công chức một cửa", "at": "2026-12-01T17:30:00+00:00",
                         "department": "Bộ phận một cửa", "content": "Yêu cầu bổ sung hồ sơ",
                         "status": "supplement_requested", "started_at": "2026-12-01T03:04:05+00:00",
                         "legal_due_at": "2026-12-04T10:00:00+00:00"}}


def settings(standin: StandinPortal, **changes: str) -> PortalSettings:
    env = {"MOTCUA_PORTAL_URL": standin.url, "MOTCUA_PORTAL_USERNAME": USER, "MOTCUA_PORTAL_PASSWORD": PASSWORD,
           "MOTCUA_PORTAL_DSTCODE": "G22", "MOTCUA_PORTAL_UNIT": "000.00.00.H12", **changes}
    return PortalSettings.from_env(env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def control(standin: StandinPortal, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(f"{standin.url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def portal() -> Iterator[StandinPortal]:
    standin = start(username=USER, password=PASSWORD, catalogue=CATALOGUE)
    yield standin
    standin.stop()


def test_the_code_lists_are_motcuas_statuses_and_channels() -> None:
    codes = load("outbound.toml")["codes"]
    assert codes["status"] == STATUS_CODES and codes["channel"] == CHANNELS


def test_a_full_message_reaches_the_portal_as_its_two_records(portal: StandinPortal) -> None:
    PortalClient(settings(portal)).push(full_payload())
    calls = portal.records
    assert [(c["service"], c["accepted"]) for c in calls] == [("DongBoHoSoMC", True), ("CapNhatTienDoHoSoMC", True)]
    body = calls[0]["body"]
    assert (body["isUpdating"], body["madonvi"], calls[0]["dstcode"]) == (True, "000.00.00.H12", "G22")
    record = body["data"][0]
    assert {k: record[k] for k in ("MaHoSo", "MaTTHC", "SoBienNhan", "LoaiDoiTuong", "TrangThaiHoSo", "HinhThuc",
                                   "MaLinhVuc", "DonViXuLy", "Email")} == {
        "MaHoSo": "G22.99-261201-0001", "MaTTHC": "1.001612", "SoBienNhan": "CM-AX-2612-0001", "LoaiDoiTuong": 2,
        "TrangThaiHoSo": 5, "HinhThuc": 3, "MaLinhVuc": "TLDN", "DonViXuLy": "UBND phường An Xuyên",
        "Email": "datmui@example.vn"}
    # UTC -> Asia/Ho_Chi_Minh (+7), yyyyMMddHHmmss; 17:30 UTC is already the next day there
    assert (record["NgayTiepNhan"], record["NgayHenTra"], record["NgayTra"]) == ("20261201100405", "20261204170000", "")
    assert record["DanhSachLePhi"] == [{"TenPhiLePhi": "Lệ phí đăng ký hộ kinh doanh", "MaPhiLePhi": "LP-HKD",
                                        "HinhThucThu": 2, "Gia": 100000, "LoaiPhiLePhi": 2}]
    assert [(d["TepDinhKemId"], d["IsDeleted"], d["MaThanhPhanHoSo"]) for d in record["TaiLieuNop"]] == [
        ("41", False, "GDN"), ("42", True, "GDN")]
    assert record["DanhSachGiayToKetQua"][0]["GiayToId"] == "r1"
    supplement = record["DanhSachHoSoBoSung"][0]
    assert (supplement["NgayBoSung"], supplement["TrangThaiBoSung"], supplement["NgayHenTraTruoc"],
            supplement["NgayHenTraMoi"]) == ("20261202003000", 0, "20261204170000", "")
    progress = calls[1]["body"]["data"][0]
    assert progress == {"MaHoSo": "G22.99-261201-0001", "NguoiXuLy": "Nguyễn Văn Tiếp",
                        "ChucDanh": "Công chức một cửa", "ThoiDiemXuLy": "20261202003000",
                        "PhongBanXuLy": "Bộ phận một cửa", "NoiDungXuLy": "Yêu cầu bổ sung hồ sơ", "TrangThai": 5,
                        "NgayBatDau": "20261201100405", "NgayKetThucTheoQuyDinh": "20261204170000"}
    # a dossier of Motcua's own (no national code): its procedure code; the portal's look-up sees the latest record
    PortalClient(settings(portal)).push(full_payload(procedure={"code": "ho-kinh-doanh", "national_code": None,
                                                                "name": "Hộ kinh doanh"}, status="returned"))
    found = PortalClient(settings(portal)).lookup("G22.99-261201-0001")
    assert found is not None and (found["MaTTHC"], found["TrangThaiHoSo"]) == ("ho-kinh-doanh", 10)


def test_the_session_is_reused_renewed_once_and_its_refusal_is_not_permanent(portal: StandinPortal) -> None:
    client = PortalClient(settings(portal))
    client.push(full_payload())
    client.push(full_payload())
    assert control(portal, "/_control", method="GET")["signins"] == 1  # one session for four calls
    portal.expire_sessions()  # the portal forgets it: the next call is refused, the client signs in once more
    threads = [threading.Thread(target=client.push, args=(full_payload(),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert control(portal, "/_control", method="GET")["signins"] == 2  # renewed once for all six threads
    assert len(portal.accepted()) == 16
    portal.expire_sessions()
    portal.refuse_signins(1)
    with pytest.raises(PortalError, match="refused to sign in") as refused:
        client.push(full_payload())
    assert refused.value.permanent is False
    client.push(full_payload())  # the next sign-in passes again
    portal.fail(2, "Phiên làm việc đã hết hạn")  # refused, renewed, refused again: a later try may pass
    with pytest.raises(PortalError, match="refused the session again") as again:
        client.push(full_payload())
    assert again.value.permanent is False
    with pytest.raises(PortalError, match="Sai tên đăng nhập") as wrong:
        PortalClient(settings(portal, MOTCUA_PORTAL_PASSWORD="sai")).push(full_payload())
    assert wrong.value.permanent is False and wrong.value.answered is True


def test_a_record_the_portal_refuses_is_a_permanent_error_with_its_reason(portal: StandinPortal) -> None:
    client = PortalClient(settings(portal))
    bad = full_payload(applicant={"name": "", "kind": "person"})
    with pytest.raises(PortalError, match="thiếu trường bắt buộc ChuHoSo") as refused:
        client.push(bad)
    assert refused.value.permanent is True
    assert [(r["service"], r["accepted"]) for r in portal.records] == [("DongBoHoSoMC", False)]
    assert "ChuHoSo" in portal.records[0]["reason"]
    with pytest.raises(PortalError, match="no portal code") as unmapped:  # no code for it: never sent at all
        client.push(full_payload(status="archived"))
    assert unmapped.value.permanent is True and len(portal.records) == 1
    portal.fail(1, "Mã đơn vị không tồn tại")  # the portal answers an error about the data
    with pytest.raises(PortalError, match="Mã đơn vị không tồn tại") as failed:
        client.push(full_payload())
    assert failed.value.permanent is True
    client.push(full_payload())
    assert [r["accepted"] for r in portal.records] == [False, False, True, True]


def test_down_then_up_on_the_same_port_and_a_slow_portal(portal: StandinPortal) -> None:
    client = PortalClient(settings(portal, MOTCUA_PORTAL_TIMEOUT="0.5"))
    client.push(full_payload())
    url = portal.url
    portal.down()  # connections refused
    with pytest.raises(PortalError, match="could not be reached") as down:
        client.push(full_payload())
    assert down.value.permanent is False
    portal.up()
    assert portal.url == url
    client.push(full_payload())
    control(portal, "/_control/down")  # the HTTP control: 503 to every call
    with pytest.raises(PortalError, match="503") as unavailable:
        client.push(full_payload())
    assert unavailable.value.permanent is False
    control(portal, "/_control/up")
    portal.slow(1.5)
    with pytest.raises(PortalError) as slow:
        client.push(full_payload())
    assert slow.value.permanent is False and ("timed out" in str(slow.value) or "did not answer" in str(slow.value))
    control(portal, "/_control/slow", {"seconds": 0})
    client.push(full_payload())
    assert len(portal.accepted()) == 6
    assert control(portal, "/_records", method="GET")["records"][-1]["service"] == "CapNhatTienDoHoSoMC"
    assert control(portal, "/_records", method="DELETE") == {"records": []} and portal.records == []


def test_the_procedure_catalogue(portal: StandinPortal) -> None:
    client = PortalClient(settings(portal))
    record = client.procedure("1.001193")
    assert record["TENTTHC"] == "Đăng ký khai sinh" and record["LINHVUCTHUCHIEN"][0]["MALINHVUC"] == "HT"
    assert [r["MATTHC"] for r in client.procedures()] == ["1.001612", "1.001193"]
    with pytest.raises(PortalError, match="Không tìm thấy thủ tục") as missing:
        client.procedure("9.999999")
    assert missing.value.permanent is True


class Receiver:
    """A tiny real HTTP server standing for Motcua's inbound endpoint: it keeps each request and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str | None, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append((self.path, self.headers.get("Authorization"), body))
                ok = self.headers.get("Authorization") == "Bearer the-token"
                answer = {"error_code": 0, "results": [{"MaHoSo": r["MaHoSo"], "SoBienNhan": "CM-AX-1",
                                                        "created": True} for r in body["data"]]} if ok else {}
                data = json.dumps(answer).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/portal/inbound"


def test_the_portal_forwards_dossiers_to_motcua(portal: StandinPortal) -> None:
    receiver = Receiver()
    try:
        record = {"MaHoSo": "G22.99-99-0001", "MaTTHC": "1.001193", "ChuHoSo": "Lê Thị Mai", "HinhThuc": 2}
        status, answer = portal.forward(receiver.url, "the-token", [record])
        assert (status, answer["results"][0]["MaHoSo"]) == (200, "G22.99-99-0001")
        assert receiver.received[0] == ("/api/v1/portal/inbound", "Bearer the-token", {"data": [record]})
        request = urllib.request.Request(f"{portal.url}/_control/forward", method="POST",
                                         data=json.dumps({"target": receiver.url, "token": "wrong",
                                                          "records": [record]}).encode())
        with pytest.raises(urllib.error.HTTPError) as refused:  # Motcua's own answer comes back
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401 and receiver.received[1][1] == "Bearer wrong"
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_the_health_check_and_the_settings(portal: StandinPortal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_PORTAL_URL", "")
    assert check_all()["portal"].status == "not-configured"
    assert client_from_env() is None and pusher_from_env() is None
    for name, value in (("URL", portal.url), ("USERNAME", USER), ("PASSWORD", PASSWORD)):
        monkeypatch.setenv(f"MOTCUA_PORTAL_{name}", value)
    health = check_all()["portal"]
    assert (health.status, health.standin, health.detail) == ("ok", True, f"{portal.url} (stand-in)")
    push = pusher_from_env()
    assert push is not None
    push(full_payload())
    assert len(portal.accepted("DongBoHoSoMC")) == 1
    monkeypatch.setenv("MOTCUA_PORTAL_PASSWORD", "sai")
    assert check_all()["portal"].status == "refused"
    monkeypatch.setenv("MOTCUA_PORTAL_URL", f"http://127.0.0.1:{free_port()}")
    assert check_all()["portal"].status == "unreachable"
    monkeypatch.setenv("MOTCUA_PORTAL_TIMEOUT", "not a number")
    assert PortalSettings.from_env().timeout == 10.0


def test_development_starts_a_stand_in_the_client_signs_in_to(monkeypatch: pytest.MonkeyPatch, capsys: Any,
                                                               request: pytest.FixtureRequest) -> None:
    """`motcua serve --standins`: the stand-ins start, their URLs (and an inbound token) in the environment."""
    for name in ("MOTCUA_PORTAL_URL", "MOTCUA_PORTAL_USERNAME", "MOTCUA_PORTAL_PASSWORD",
                 "MOTCUA_PORTAL_INBOUND_TOKEN", "MOTCUA_SMS_URL"):
        monkeypatch.setenv(name, "")
    # the portal's and the SMS gateway's stand-ins only: the others (the demo PKI's MOTCUA_SIGNING_*, the remote
    # signing service...) would stay in this process's environment, running, for every later test
    monkeypatch.setattr(connectors.registry, "all_connectors", lambda: [get("sms"), get("portal")])
    started = start_standins()
    request.addfinalizer(lambda: [s.stop() for s in started])
    url = os.environ["MOTCUA_PORTAL_URL"]
    assert f"{url}/_records" in capsys.readouterr().out
    client = client_from_env()
    assert client is not None and check_all()["portal"].standin
    client.push(full_payload())
    with urllib.request.urlopen(f"{url}/_records", timeout=5) as response:
        assert [r["accepted"] for r in json.loads(response.read())["records"]] == [True, True]
    assert len(os.environ["MOTCUA_PORTAL_INBOUND_TOKEN"]) > 20  # Motcua's inbound and the stand-in's forward agree
