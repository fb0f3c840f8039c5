"""Online payment end to end over real HTTP: Motcua served on 127.0.0.1, the stand-in payment platform posting its
signed callbacks to it. Paid (the dossier resumes, the receipt kept, the portal sync queued), duplicate and late
callbacks (nothing changes twice), tampered ones (checksum, amount), replays, a callback that never comes (the
scheduler's reconciliation settles it), a cancelled payment, the platform down when the citizen starts, and an
officer who cannot tick "paid online". SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from api.payments import payment_detail
from connectors.payment.protocol import local_stamp, sign
from connectors.payment.standin import StandinPayment, start
from connectors.registry import check_all
from engine.dossiers.models import Dossier
from engine.payments.models import PaymentTransaction
from engine.scheduling.scheduler import job_context, jobs_from, run_job
from engine.store.models import AuditEntry
from engine.sync.models import PortalMessage

from .conftest import PASSWORD, Api
from .test_flow import PATHS
from .test_lifecycle import HKD, act, submit

SECRET = "khoa-bi-mat-thu-nghiem"


@dataclass
class Live:
    app: Flask
    url: str
    api: Api
    platform: StandinPayment

    def page(self) -> FlaskClient:
        client = self.app.test_client()
        client.get("/track")  # a session with its CSRF token, as a browser that opened the page has
        return client

    def rows(self, code: str) -> list[PaymentTransaction]:
        with self.app.extensions["motcua"].session_factory() as session:
            return list(session.scalars(select(PaymentTransaction).join(Dossier).where(Dossier.code == code)
                                        .order_by(PaymentTransaction.id)))

    def count(self, model: Any, *where: Any) -> int:
        with self.app.extensions["motcua"].session_factory() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def live(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    platform = start(secret=SECRET)
    app = app_factory(payment_pending_minutes=0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    for name, value in {"URL": platform.url, "SECRET": SECRET, "SERVICE_CODE": "G22-MOTCUA",
                        "ACCOUNT": "7111 0000 1234", "BANK": "970415", "ACCOUNT_NAME": "Kho bạc Nhà nước Cà Mau",
                        "CALLBACK_URL": f"{url}/api/v1/payments/callback",
                        "RETURN_URL": f"{url}/payments/return"}.items():
        monkeypatch.setenv(f"MOTCUA_PAYMENT_{name}", value)
    yield Live(app, url, Api(app.test_client()), platform)
    server.shutdown()
    platform.stop()


def owing(live: Live, require: bool = True) -> dict[str, Any]:
    """A counter dossier (received at once) of a procedure with a fee; `require`: payment required (status 6)."""
    created = submit(live.api)
    if require:
        assert act(live.api, created["code"], "require_payment", "tiepnhan", amount=100000).status_code == 200
    return created


def start_paying(live: Live, created: dict[str, Any]) -> str:
    """The citizen's pay button (code and PIN): Motcua sends them to the platform; the tracking code."""
    resp = live.page().post("/payments/start", data={"code": created["code"], "pin": created["pin"],
                                                       "csrf_token": "x"})
    assert resp.status_code == 403  # a forged form (no session's token) is refused first
    client = live.page()
    resp = client.post("/payments/start", data={"code": created["code"], "pin": created["pin"],
                                                 "csrf_token": _token(client)})
    assert resp.status_code == 303 and resp.headers["Location"].startswith(f"{live.platform.url}/pay/"), resp.data
    [row] = [r for r in live.rows(created["code"]) if r.pay_url == resp.headers["Location"]]
    assert row.state == "pending" and row.amount == 100000
    tx = live.platform.transaction(row.tracking_code)
    assert tx is not None and tx["request"]["MaHoSo"] == created["code"]
    assert tx["request"]["TKThuHuong"] == "7111 0000 1234" and tx["request"]["DSKhoanNop"][0]["SoTien"] == 100000
    assert row.tracking_code[len(created["code"]):].isdigit() and len(row.tracking_code) == len(created["code"]) + 14
    return row.tracking_code


def dossier_of(live: Live, code: str) -> dict[str, Any]:
    return live.api.get(f"/dossiers/{code}", "tatca").get_json()


def signed_outcome(live: Live, tracking: str, code: str, state: str = "1", amount: int = 100000,
                   at: datetime | None = None, ref: str = "GD00000001") -> dict[str, Any]:
    return sign(SECRET, {"MaTraCuuTT": tracking, "MaHoSo": code, "SoTien": amount, "TrangThai": state,
                         "MaGiaoDich": ref, "ThoiGian": local_stamp(at or datetime.now(UTC))}, "outcome")


def test_paid_at_the_platform_resumes_the_dossier_once_under_duplicate_callbacks(live: Live) -> None:
    created = owing(live)
    code = created["code"]
    client = live.page()
    track = client.post("/track", data={"code": code, "pin": created["pin"], "csrf_token": _token(client)})
    assert track.status_code == 200 and b"data-pay-online" in track.data  # the fee is owed: the pay button
    tracking = start_paying(live, created)
    live.platform.callback_mode("duplicate")
    live.platform.pay(tracking)  # the citizen's "Thanh toán" on the platform's page
    first, second = live.platform.callbacks
    assert (first["status"], first["answer"]["changed"]) == (200, True)
    assert (second["status"], second["answer"]["changed"]) == (200, False)  # the duplicate changes nothing
    paid = dossier_of(live, code)
    assert paid["status"] == "received" and paid["paid_online"] is True and paid["paid_at"]
    [row] = live.rows(code)
    assert row.state == "paid" and row.settled_by == "callback" and row.receipt["receipt_number"] == "0000001"
    assert live.count(AuditEntry, AuditEntry.action == "record_payment") == 1
    assert live.count(PortalMessage, PortalMessage.action == "record_payment") == 1  # the portal hears of it
    back = live.app.test_client().get(f"/payments/return?MaTraCuuTT={tracking}&TrangThai=1")
    assert back.status_code == 200 and b"data-paid" in back.data and b"0000001" in back.data
    officer = _officer(live).get(f"/dossiers/{code}")
    assert f'data-payment="{tracking}" data-state="paid"'.encode() in officer.data


def test_tampered_and_replayed_callbacks_change_nothing_then_reconciliation_settles(live: Live) -> None:
    created = owing(live)
    code = created["code"]
    tracking = start_paying(live, created)
    live.platform.callback_mode("tamper-amount")  # signed, but a tenth of the fee
    live.platform.pay(tracking)
    live.platform.callback_mode("tamper-checksum")
    live.platform.pay(tracking)  # the platform's outcome again, its checksum broken
    client = live.app.test_client()
    forged = {**signed_outcome(live, tracking, code), "Checksum": "ab" * 32}
    answers = [c["status"] for c in live.platform.callbacks]
    assert answers == [400, 401], answers
    resp = client.post("/api/v1/payments/callback", json=forged)
    assert resp.status_code == 401 and resp.content_type == "application/problem+json"
    old = signed_outcome(live, tracking, code, at=datetime.now(UTC) - timedelta(days=2))
    assert client.post("/api/v1/payments/callback", json=old).status_code == 409  # signed too long ago
    other = signed_outcome(live, tracking, code, ref="GD99999999")
    assert client.post("/api/v1/payments/callback", json=other).status_code == 409  # another transaction
    [row] = live.rows(code)
    assert row.state == "pending" and dossier_of(live, code)["status"] == "payment_required"
    # the platform holds it as paid: the scheduler's job asks it (outside any transaction) and settles
    assert _run_payments_job(live) == 1
    [row] = live.rows(code)
    assert row.state == "paid" and row.settled_by == "reconciliation"
    assert dossier_of(live, code)["status"] == "received"
    cancelled = signed_outcome(live, tracking, code, state="2", ref=row.platform_ref or "")
    resp = client.post("/api/v1/payments/callback", json=cancelled)
    assert resp.status_code == 409 and resp.get_json()["code"] == "callback-replayed"
    assert live.count(AuditEntry, AuditEntry.action == "record_payment") == 1


def test_a_callback_that_never_comes_and_a_late_one(live: Live) -> None:
    created = owing(live, require=False)  # the fee is owed at submission (counter channel: 100,000 VND)
    code = created["code"]
    tracking = start_paying(live, created)
    live.platform.callback_mode("never")
    live.platform.pay(tracking)
    assert live.platform.callbacks == [] and live.rows(code)[0].state == "pending"
    assert _run_payments_job(live) == 1
    assert live.rows(code)[0].state == "paid"
    after = dossier_of(live, code)
    assert after["status"] == "received" and after["paid_online"] is True  # paid at submission, carries on
    live.platform.callback_mode("late", 0.2)  # the platform's callback, late, after the reconciliation
    live.platform.pay(tracking)
    [answer] = live.platform.wait_callbacks(1)
    assert answer["status"] == 200 and answer["answer"]["changed"] is False


def test_cancelled_at_the_platform_and_the_platform_down_at_start(live: Live) -> None:
    created = owing(live)
    code = created["code"]
    tracking = start_paying(live, created)
    live.platform.pay(tracking, "cancelled")
    assert live.platform.callbacks[0]["status"] == 200
    back = live.app.test_client().get(f"/payments/return?MaTraCuuTT={tracking}")
    assert b"data-not-paid" in back.data and live.rows(code)[0].state == "cancelled"
    assert dossier_of(live, code)["status"] == "payment_required"  # still owed
    time.sleep(1.01)  # a new tracking code (yyyyMMddHHmmss)
    live.platform.down()
    client = live.page()
    resp = client.post("/payments/start", data={"code": code, "pin": created["pin"], "csrf_token": _token(client)})
    assert resp.status_code == 409 and "Nền tảng thanh toán hiện không kết nối được".encode() in resp.data
    assert [r.state for r in live.rows(code)] == ["cancelled", "failed"]
    assert dossier_of(live, code)["status"] == "payment_required"
    assert check_all()["payment"].status == "unreachable"
    live.platform.up()
    assert check_all()["payment"].status == "ok" and check_all()["payment"].standin


def test_an_officer_cannot_tick_paid_online_so_the_figure_counts_platform_records(live: Live) -> None:
    counter, online = owing(live), owing(live)
    refused = act(live.api, counter["code"], "record_payment", "tiepnhan", online=True)
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert act(live.api, counter["code"], "record_payment", "tiepnhan", online=False).status_code == 200
    live.platform.pay(start_paying(live, online))
    # a signed-in citizen (shared contract 2) pays their own dossier without the PIN, nobody else's
    owed = owing(live)
    for key, expected in (("000000000000", 200), (PATHS[HKD]["applicant"]["id_number"], 303)):
        client = live.page()
        with client.session_transaction() as s:
            s["citizen"] = {"subject": "sub-1", "key": key, "kind": "person", "name": "Công dân", "claims": {}}
        resp = client.post("/payments/start", data={"code": owed["code"], "csrf_token": _token(client)})
        assert resp.status_code == expected, resp.data  # 200: the form asking for the PIN, nothing started
    assert [r.state for r in live.rows(owed["code"])] == ["pending"]
    today = datetime.now(UTC).date()
    found = live.api.get(f"/stats?start={today - timedelta(days=1)}&end={today + timedelta(days=2)}", "lanhdao")
    [figures] = found.get_json()["groups"]
    assert (figures["paid"], figures["paid_online"]) == (2, 1)


def _token(client: FlaskClient) -> str:
    with client.session_transaction() as s:
        return str(s["csrf"])


def _officer(live: Live) -> FlaskClient:
    client = live.app.test_client()
    client.get("/login")
    client.post("/login", data={"username": "tiepnhan", "password": PASSWORD, "csrf_token": _token(client)})
    return client


def _run_payments_job(live: Live) -> int:
    services = live.app.extensions["motcua"]
    ctx = job_context(services.settings, services.uow, services.clock, payment_detail=payment_detail())
    [job] = [j for j in jobs_from(services.settings) if j.name == "payments"]
    return run_job(ctx, job)
