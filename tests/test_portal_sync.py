"""The portal sync queue (engine/sync/): one message per dossier per transaction, built from the dossier as
committed, through a dossier's whole lifecycle; delivery in order per dossier under failures (a push function
that records and can raise, permanently or not), backoff that never gives up, the lease, re-send and the sync
rate. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from engine.dossiers.models import Dossier
from engine.store.models import AuditEntry
from engine.sync.delivery import LEASE, backoff, deliver, retry_now
from engine.sync.models import PortalMessage
from engine.sync.state import resend, sync_rate

from .conftest import Api, FakeClock
from .payment_support import pay_online
from .test_flow import PATHS, run_to_end

HKD = "ho-kinh-doanh"
APPLICANT = {**PATHS[HKD]["applicant"], "email": "minhanh@example.vn"}


class PortalDown(Exception):
    """What the connector raises: `permanent` says whether retrying can help."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Portal:
    """The connector's boundary as a plain function: records what it is handed, or raises as told."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.down = False
        self.refuse: dict[str, str] = {}  # dossier status -> the portal's reason (a permanent error)

    def __call__(self, payload: dict[str, Any]) -> None:
        if self.down:
            raise PortalDown("không kết nối được cổng", permanent=False)
        reason = self.refuse.get(payload["dossier"]["status"])
        if reason:
            raise PortalDown(reason, permanent=True)
        self.received.append(payload)

    def statuses(self, code: str) -> list[str]:
        return [p["dossier"]["status"] for p in self.received if p["dossier"]["receipt_number"] == code]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


def messages(app: Flask, code: str | None = None) -> list[PortalMessage]:
    with app.extensions["motcua"].session_factory() as session:
        query = select(PortalMessage).order_by(PortalMessage.id)
        if code is not None:
            query = query.join(Dossier, Dossier.id == PortalMessage.dossier_id).where(Dossier.code == code)
        return list(session.scalars(query))


def submit(api: Api, **overrides: Any) -> str:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": APPLICANT,
                                                   "data": PATHS[HKD]["start"], **overrides})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])


def act(api: Api, code: str, action: str, user: str = "tiepnhan", **params: Any) -> None:
    resp = api.post(f"/dossiers/{code}/actions/{action}", user, json=params)
    assert resp.status_code == 200, resp.get_json()


def push(app: Flask, portal: Portal, **kw: Any) -> Any:
    with app.extensions["motcua"].uow() as uow:
        return deliver(uow, portal, **kw)


def test_a_dossier_lifecycle_is_queued_one_message_per_change_in_order(api: Api, app: Flask,
                                                                      clock: FakeClock) -> None:
    clock.at("2026-04-22 09:00")
    code = submit(api, channel="online")  # registered: waits for reception
    clock.at("2026-04-22 09:30")
    act(api, code, "receive")
    clock.at("2026-04-22 10:00")
    act(api, code, "request_supplement", documents=["bien-ban-hop-thanh-vien"], guidance="Bản sao có chứng thực.")
    clock.at("2026-04-23 08:00")
    act(api, code, "supplement_received")
    act(api, code, "require_payment", amount=100000)
    clock.at("2026-04-23 09:00")
    pay_online(app, code)  # the payment platform's outcome: the portal hears "online"
    # claims and releases tell the portal nothing; each completed step does
    before_steps = len(messages(app, code))
    clock.at("2026-04-24 10:00")
    run_to_end(api, HKD, code)
    clock.at("2026-04-27 15:00")
    act(api, code, "return_result", recipient=APPLICANT["name"])

    rows = messages(app, code)
    payloads = [m.payload for m in rows]
    statuses = [p["dossier"]["status"] for p in payloads]
    assert statuses[:before_steps] == ["registered", "received", "supplement_requested", "received",
                                       "payment_required", "received"]
    assert statuses[before_steps:] == ["processing", "processing", "processed", "returned"]
    # one message per transaction: as many as audited changes that are not excluded, never one per entry
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.dossier_id == dossier.id)
                                       .order_by(AuditEntry.seq)))
    # receiving records `received` and `receive` in one transaction: one message, whose progress is the last
    assert actions[1:3] == ["received", "receive"] and actions.count("claimed") == 3
    # - the payment transaction's own entry (payment_paid), - the result document's own steps (engine/results)
    result_steps = ["result_requested"]  # the draft is rendered by the results job (not run here)
    assert [a for a in actions if a.startswith("result_")] == result_steps
    assert len(rows) == len(actions) - 3 - 1 - 1 - len(result_steps) == 10
    assert [m.action for m in rows][:3] == ["submitted", "receive", "request_supplement"]
    assert [p["updating"] for p in payloads] == [False] + [True] * (len(rows) - 1)
    assert {m.state for m in rows} == {"pending"}  # the requests pushed nothing themselves

    first, received, supplement, resumed = payloads[:4]
    assert first["dossier"]["received_at"] is None and first["dossier"]["channel"] == "online"
    assert first["dossier"]["code"] == first["dossier"]["receipt_number"] == code
    assert first["dossier"]["procedure"] == {"code": HKD, "national_code": "2.000720",
                                             "name": "Đăng ký thành lập hộ kinh doanh", "field_code": "LINHVUC-HKD",
                                             "field_name": "Thành lập và hoạt động của hộ kinh doanh"}
    assert first["dossier"]["applicant"] == {"name": APPLICANT["name"], "kind": "person",
                                             "email": "minhanh@example.vn", "phone": "0912345678",
                                             "id_number": "096188001234"}
    assert first["dossier"]["summary"] == f"Đăng ký thành lập hộ kinh doanh – {APPLICANT['name']}"
    assert received["dossier"]["received_at"] == "2026-04-22T02:30:00+00:00"
    assert received["dossier"]["due_at"] is not None and received["dossier"]["unit"]["code"] == "CM-AX"
    assert received["progress"]["officer"] == "Tiepnhan" and received["progress"]["title"] == \
        "Cán bộ Bộ phận Một cửa"
    assert received["progress"]["content"] == "Tiếp nhận hồ sơ"
    assert received["progress"]["department"] == "Trung tâm Phục vụ hành chính công phường An Xuyên"
    [asked] = supplement["dossier"]["supplements"]
    assert asked["state"] == "requested" and asked["requested_at"] == "2026-04-22T03:00:00+00:00"
    assert asked["id"] == f"{code}-BS1" and "Bản sao có chứng thực." in asked["content"]
    assert resumed["dossier"]["supplements"][0]["state"] == "received"
    assert resumed["dossier"]["supplements"][0]["received_at"] == "2026-04-23T01:00:00+00:00"
    assert payloads[4]["dossier"]["fees"] == [{"code": f"{HKD}-le-phi", "name": "Phí, lệ phí", "amount": 100000,
                                               "kind": "fee", "method": None, "paid_at": None}]
    assert payloads[5]["dossier"]["fees"][0]["method"] == "online"
    assert payloads[5]["dossier"]["fees"][0]["paid_at"] == "2026-04-23T02:00:00+00:00"
    step = payloads[before_steps]["progress"]
    assert step["content"].startswith("Hoàn thành bước: ") and step["title"] == "Chuyên viên"
    assert step["started_at"] is not None and step["legal_due_at"] is not None
    processed, returned = payloads[-2:]
    assert processed["dossier"]["processed_at"] is not None and processed["dossier"]["results"]
    assert returned["dossier"]["returned_at"] == "2026-04-27T08:00:00+00:00"
    assert returned["progress"]["content"] == "Trả kết quả cho công dân"
    # every date is ISO-8601 in UTC with its offset
    assert all(v is None or v.endswith("+00:00") for p in payloads for k, v in p["dossier"].items()
               if k.endswith("_at"))

    portal = Portal()
    done = push(app, portal)
    assert done.sent == len(rows) and portal.statuses(code) == statuses
    assert [p["message_id"] for p in portal.received] == [m.id for m in rows]
    assert [p["updating"] for p in portal.received] == [False] + [True] * (len(rows) - 1)


def test_a_refused_change_queues_nothing_and_the_setting_turns_sync_off(api: Api, app: Flask,
                                                                       app_factory: Any) -> None:
    code = submit(api)
    queued = len(messages(app))
    resp = api.post(f"/dossiers/{code}/actions/request_supplement", "tiepnhan", json={"missing": []})
    assert resp.status_code == 422 and len(messages(app)) == queued  # rolled back: nothing queued
    quiet = Api(app_factory(portal_sync=False).test_client())
    submit(quiet)
    assert len(messages(app)) == queued


def test_delivery_is_ordered_per_dossier_under_failures_and_never_gives_up(api: Api, app: Flask,
                                                                          clock: FakeClock) -> None:
    first, second = submit(api), submit(api)
    act(api, first, "require_payment", amount=50000)
    act(api, first, "record_payment", online=False)
    act(api, second, "stop", "lanhdao", reason="Công dân đề nghị dừng.")
    portal = Portal()
    portal.down = True
    done = push(app, portal)
    # the portal is down: one attempt, then the batch stops (the rest is not hammered)
    assert (done.sent, done.retrying) == (0, 1) and portal.received == []
    head = messages(app, first)[0]
    assert head.state == "pending" and head.attempts == 1 and head.last_error == "không kết nối được cổng"
    assert head.next_attempt_at == clock.now + backoff(1, 300)
    assert all(m.leased_until is None for m in messages(app))  # nothing stays leased

    # an outage of hours: every retry fails, the wait grows to the cap and the message is never given up
    for _ in range(5):
        clock.now += timedelta(hours=1)
        assert push(app, portal).retrying == 1
    head = messages(app, first)[0]
    assert head.state == "pending" and head.attempts == 6
    assert head.next_attempt_at - clock.now == timedelta(seconds=160)
    assert backoff(40, 300) == timedelta(seconds=300)

    # the portal comes back: the backlog drains, each dossier's messages in order
    portal.down = False
    clock.now += timedelta(minutes=10)
    assert push(app, portal).sent == 5
    assert portal.statuses(first) == ["received", "payment_required", "received"]
    assert portal.statuses(second) == ["received", "stopped"]
    assert {m.state for m in messages(app)} == {"sent"}


def test_a_permanent_refusal_fails_that_message_only_and_later_ones_still_go(api: Api, app: Flask) -> None:
    code = submit(api)
    act(api, code, "require_payment", amount=50000)
    act(api, code, "record_payment", online=False)
    portal = Portal()
    portal.refuse["payment_required"] = "Thiếu trường DanhSachLePhi"
    done = push(app, portal)
    assert (done.sent, done.failed) == (2, 1)
    assert portal.statuses(code) == ["received", "received"]
    failed = [m for m in messages(app, code) if m.state == "failed"]
    assert [m.last_error for m in failed] == ["Thiếu trường DanhSachLePhi"]


def test_a_later_message_waits_while_an_earlier_one_is_pending(api: Api, app: Flask, clock: FakeClock) -> None:
    code = submit(api)
    act(api, code, "require_payment", amount=50000)
    portal = Portal()
    portal.down = True
    push(app, portal)
    portal.down = False
    # the earlier message waits for its backoff: the later one may not overtake it
    assert push(app, portal).sent == 0 and portal.received == []
    with app.extensions["motcua"].uow() as uow:  # "retry now": due at once
        assert retry_now(uow) == 2
        uow.session.commit()
    assert push(app, portal).sent == 2 and portal.statuses(code) == ["received", "payment_required"]


def test_a_leased_message_is_not_sent_twice(api: Api, app: Flask, clock: FakeClock) -> None:
    code = submit(api)
    [message] = messages(app, code)
    with app.extensions["motcua"].session_factory() as session:  # another deliverer took it a moment ago
        session.execute(update(PortalMessage).values(leased_until=clock.now + LEASE))
        session.commit()
    portal = Portal()
    assert push(app, portal).sent == 0 and portal.received == []
    with app.extensions["motcua"].uow() as uow:  # retry now does not steal a lease either
        retry_now(uow)
        uow.session.commit()
    assert push(app, portal).sent == 0
    clock.now += LEASE + timedelta(seconds=1)  # that deliverer died: the lease runs out, the message goes
    assert push(app, portal).sent == 1 and [p["message_id"] for p in portal.received] == [message.id]


def test_resend_queues_a_fresh_message_after_the_others_and_is_audited(api: Api, app: Flask) -> None:
    code = submit(api)
    portal = Portal()
    portal.refuse["received"] = "Sai mã đơn vị"
    push(app, portal)
    assert messages(app, code)[-1].state == "failed"
    portal.refuse.clear()
    with app.extensions["motcua"].uow() as uow:
        assert resend(uow, None, [code]) == [code]
    rows = messages(app, code)
    assert [m.state for m in rows] == ["failed", "pending"] and rows[-1].action == "portal_resent"
    assert rows[-1].payload["updating"] is True and rows[-1].payload["progress"]["content"] == \
        "Gửi lại trạng thái hồ sơ lên Cổng Dịch vụ công quốc gia"
    assert push(app, portal).sent == 1 and portal.statuses(code) == ["received"]
    # the portal never got the first: the re-sent one creates the dossier there (queued as an update)
    assert portal.received[0]["updating"] is False
    with app.extensions["motcua"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "portal_resent")) == 1


def test_the_sync_rate_counts_dossiers_whose_latest_state_arrived_in_time(api: Api, app: Flask,
                                                                         clock: FakeClock) -> None:
    start = clock.now
    _fast, slow, waiting = submit(api), submit(api), submit(api)
    portal = Portal()
    with app.extensions["motcua"].session_factory() as session:  # only the first goes at once
        ids = list(session.scalars(select(Dossier.id).where(Dossier.code.in_([slow, waiting]))))
        session.execute(update(PortalMessage).where(PortalMessage.dossier_id.in_(ids))
                        .values(next_attempt_at=clock.now + timedelta(days=1)))
        session.commit()
    assert push(app, portal).sent == 1
    clock.now += timedelta(minutes=20)
    with app.extensions["motcua"].session_factory() as session:
        slow_id = session.scalar(select(Dossier.id).where(Dossier.code == slow))
        session.execute(update(PortalMessage).where(PortalMessage.dossier_id == slow_id)
                        .values(next_attempt_at=clock.now))
        session.commit()
    assert push(app, portal).sent == 1  # 20 minutes late
    with app.extensions["motcua"].uow() as uow:
        rate = sync_rate(uow, start, clock.now + timedelta(minutes=1), 15)
        assert (rate.changed, rate.on_time) == (3, 1) and rate.rate == pytest.approx(1 / 3)
        assert sync_rate(uow, start, clock.now, 30, frozenset({"CM-TT"})).changed == 0
        assert sync_rate(uow, start, clock.now + timedelta(minutes=1), 30).on_time == 2


def test_no_push_function_means_the_messages_wait(api: Api, app: Flask) -> None:
    submit(api)
    with app.extensions["motcua"].uow() as uow:
        assert deliver(uow, None).sent == 0
    assert {m.state for m in messages(app)} == {"pending"}


def test_two_deliverers_at_once_send_each_message_once_and_in_order(pg_app_factory: Any) -> None:
    """Two schedulers on one PostgreSQL database, pushing through a slow portal at the same time."""
    app = pg_app_factory()
    api = Api(app.test_client())
    codes = [submit(api) for _ in range(6)]
    for code in codes:
        act(api, code, "require_payment", amount=10000)
    pushed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def slow(payload: dict[str, Any]) -> None:
        time.sleep(0.01)
        with lock:
            pushed.append((payload["dossier"]["receipt_number"], payload["message_id"]))

    def run() -> None:
        for _ in range(3):
            with app.extensions["motcua"].uow() as uow:
                deliver(uow, slow)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [message_id for _, message_id in pushed]
    assert sorted(ids) == sorted(set(ids)) == [m.id for m in messages(app)]  # each once, none missed
    for code in codes:  # and each dossier's in order
        mine = [message_id for c, message_id in pushed if c == code]
        assert mine == sorted(mine) and len(mine) == 2
