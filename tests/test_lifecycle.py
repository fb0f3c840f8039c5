"""The legal lifecycle on any procedure: deadlines, pause and resume, every action and every forbidden
transition, tracking by PIN, documents. Runs on SQLite and PostgreSQL with a settable clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.dossiers.actions import ACTIONS

from .conftest import Api, FakeClock
from .test_flow import PATHS, ROLE_USERS, open_task, run_to_end

HKD = "ho-kinh-doanh"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def api(app_factory: Any, clock: FakeClock) -> Api:
    return Api(app_factory(clock=clock).test_client())


def submit(api: Api, procedure: str = HKD, channel: str = "counter", **extra: Any) -> dict[str, Any]:
    resp = api.post("/dossiers", "tiepnhan", json={
        "procedure": procedure, "applicant": PATHS[procedure]["applicant"], "data": PATHS[procedure]["start"],
        "channel": channel, **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def act(api: Api, code: str, action: str, user: str = "tatca", **params: Any) -> Any:
    return api.post(f"/dossiers/{code}/actions/{action}", user, json=params)


def dossier(api: Api, code: str) -> dict[str, Any]:
    return api.get(f"/dossiers/{code}", "tatca").get_json()


def complete_next(api: Api, code: str) -> dict[str, Any]:
    task = open_task(api, code)
    resp = api.complete(task["id"], ROLE_USERS[task["role"]],
                        PATHS[dossier(api, code)["procedure"]]["steps"][task["bpmn_id"]])
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


# --- deadlines ---------------------------------------------------------------------------------------
def test_due_times_of_the_dossier_and_its_steps(api: Api, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    created = submit(api)
    assert created["received_at"] == "2026-03-02T09:00:00+07:00"
    assert created["due_at"] == "2026-03-05T17:00:00+07:00"  # 3 working days, the day of receipt not counted
    task = open_task(api, created["code"])
    assert task["due_at"] == "2026-03-03T14:30:00+07:00"  # PT12H of working time from 09:00 Monday

    clock.at("2026-03-03 15:00")  # half an hour late
    done = complete_next(api, created["code"])
    [leader_step] = done["next_tasks"]
    assert leader_step["due_at"] == "2026-03-04T09:30:00+07:00"  # PT4H: 15:00-17:00, then 07:30-09:30
    steps = dossier(api, created["code"])["steps"]
    assert steps[0]["on_time"] is False and steps[0]["completed_at"] == "2026-03-03T15:00:00+07:00"


def test_online_dossier_clock_starts_at_receipt_with_cutoff_and_after_hours(api: Api, clock: FakeClock) -> None:
    clock.at("2026-03-07 10:00")  # submitted online on a Saturday
    created = submit(api, channel="online")
    assert created["due_at"] is None
    clock.at("2026-03-09 08:00")
    resp = act(api, created["code"], "receive", "tiepnhan", documents=["giay-de-nghi"])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["due_at"] == "2026-03-12T17:00:00+07:00"


def test_receive_checks_required_documents(api: Api) -> None:
    code = submit(api, channel="online")["code"]
    resp = act(api, code, "receive", "tiepnhan", documents=["bien-ban-hop-thanh-vien"])
    assert resp.status_code == 422 and "giay-de-nghi" in str(resp.get_json()["errors"])
    assert dossier(api, code)["status"] == "registered"


def test_supplement_pauses_the_clock_and_resuming_moves_every_due_time(api: Api, clock: FakeClock) -> None:
    clock.at("2026-04-22 09:00")
    code = submit(api)["code"]
    assert dossier(api, code)["due_at"] == "2026-04-28T17:00:00+07:00"
    task = open_task(api, code)
    assert task["due_at"] == "2026-04-23T14:30:00+07:00"

    clock.at("2026-04-24 10:00")
    resp = act(api, code, "request_supplement", "chuyenvien", missing=["Bản sao biên bản họp thành viên hộ"],
               guidance="Nộp bổ sung bản sao có chứng thực.")
    assert resp.status_code == 200, resp.get_json()
    paused = resp.get_json()
    assert paused["status"] == "supplement_requested" and paused["status_code"] == 5
    assert paused["open_tasks"][0]["state"] == "suspended" and paused["supplement_count"] == 1
    assert api.get("/tasks", "chuyenvien").get_json()["total"] == 0
    blocked = api.complete(task["id"], "chuyenvien", PATHS[HKD]["steps"]["Task_ThamDinh"])
    assert blocked.status_code == 409
    assert blocked.get_json()["allowed_actions"] == ["supplement_received", "request_supplement_again", "stop",
                                                     "withdraw", "exempt_fee"]
    html = api.get(f"/dossiers/{code}/documents/supplement-request", "tiepnhan").get_data(as_text=True)
    assert "Bản sao biên bản họp thành viên hộ" in html

    clock.at("2026-04-28 10:00")  # Sat, Sun and Mon 27 (Hùng Kings, observed) in between: 8 working hours
    resumed = act(api, code, "supplement_received", "tiepnhan").get_json()
    assert resumed["status"] == "received" and resumed["paused_seconds"] == 8 * 3600
    assert resumed["due_at"] == "2026-04-29T17:00:00+07:00"
    assert resumed["open_tasks"][0]["state"] == "open"
    assert resumed["open_tasks"][0]["due_at"] == "2026-04-24T14:30:00+07:00"
    assert complete_next(api, code)["dossier_status"] == "processing"


# --- the state machine --------------------------------------------------------------------------------
def _reach(api: Api, clock: FakeClock, status: str) -> str:
    """A dossier in the given status, reached through the API."""
    if status == "registered":
        return submit(api, channel="online")["code"]
    code = submit(api)["code"]
    steps = {
        "received": [],
        "processing": [lambda: complete_next(api, code)],
        "supplement_requested": [lambda: act(api, code, "request_supplement", missing=["Giấy đề nghị"])],
        "payment_required": [lambda: act(api, code, "require_payment", amount=100000)],
        "processed": [lambda: run_to_end(api, HKD, code)],
        "returned": [lambda: run_to_end(api, HKD, code), lambda: act(api, code, "record_payment", online=False),
                     lambda: act(api, code, "return_result")],
        "stopped": [lambda: act(api, code, "stop", reason="Cơ quan có thẩm quyền đình chỉ")],
        "withdrawal_requested": [lambda: act(api, code, "withdraw", reason="Người nộp xin rút")],
        "refused": [],
    }
    if status == "refused":
        code = submit(api, channel="online")["code"]
        act(api, code, "refuse", reasons=["Không thuộc thẩm quyền"])
    for step in steps[status]:
        step()
    assert dossier(api, code)["status"] == status
    return code


EXPECTED = {
    "registered": ["receive", "refuse", "withdraw"],
    # the procedure carries a fee, owed until paid or waived: a leader may waive it until the result goes out
    "received": ["request_supplement", "require_payment", "stop", "withdraw", "exempt_fee"],
    "processing": ["request_supplement", "require_payment", "stop", "withdraw", "exempt_fee"],
    "supplement_requested": ["supplement_received", "request_supplement_again", "stop", "withdraw", "exempt_fee"],
    "payment_required": ["record_payment", "stop", "withdraw", "exempt_fee"],
    "processed": ["require_payment", "record_payment", "return_result", "exempt_fee"],
    "returned": [], "refused": [], "stopped": [], "withdrawal_requested": [],
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_every_forbidden_transition_is_409_with_the_allowed_actions(api: Api, clock: FakeClock, status: str) -> None:
    code = _reach(api, clock, status)
    assert dossier(api, code)["allowed_actions"] == EXPECTED[status]
    history = len(dossier(api, code)["history"])
    for action in ACTIONS:
        if action in EXPECTED[status]:
            continue
        resp = act(api, code, action)
        assert resp.status_code == 409, (status, action, resp.get_json())
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["allowed_actions"] == EXPECTED[status]
    after = dossier(api, code)
    assert after["status"] == status and len(after["history"]) == history


def test_actions_check_roles_and_required_parameters(api: Api) -> None:
    code = submit(api)["code"]
    assert act(api, code, "stop", "tiepnhan", reason="x").status_code == 403  # leaders stop dossiers
    assert act(api, code, "stop", "lanhdao").status_code == 422              # and must say why
    assert act(api, code, "request_supplement", "chuyenvien", missing=[]).status_code == 422
    assert act(api, code, "require_payment", "tiepnhan", amount=-5).status_code == 422
    assert act(api, code, "no_such_action", "tiepnhan").status_code == 404
    assert act(api, "MC-000000-99999", "stop", "lanhdao", reason="x").status_code == 404
    assert dossier(api, code)["status"] == "received"


def test_refuse_stop_and_withdraw_end_the_dossier(api: Api) -> None:
    online = submit(api, channel="online")["code"]
    refused = act(api, online, "refuse", "tiepnhan", reasons=["Thiếu giấy đề nghị", "Sai mẫu tờ khai"]).get_json()
    assert refused["status_code"] == 3 and refused["finished_at"]
    html = api.get(f"/dossiers/{online}/documents/refusal", "tiepnhan").get_data(as_text=True)
    assert "Thiếu giấy đề nghị" in html and "Sai mẫu tờ khai" in html

    stopped = submit(api)["code"]
    act(api, stopped, "request_supplement", missing=["Giấy tờ"])
    result = act(api, stopped, "stop", "lanhdao", reason="Người nộp không bổ sung trong thời hạn").get_json()
    assert result["status_code"] == 8 and result["open_tasks"] == [] and result["paused_at"] is None
    assert "Người nộp không bổ sung" in api.get(f"/dossiers/{stopped}/documents/stop-notice",
                                                "tiepnhan").get_data(as_text=True)

    withdrawn = submit(api)["code"]
    result = act(api, withdrawn, "withdraw", "tiepnhan", reason="Công dân có đơn xin rút").get_json()
    assert result["status_code"] == 7 and result["open_tasks"] == []
    assert api.get("/tasks", "chuyenvien").get_json()["total"] == 0


def test_payment_pauses_and_resumes(api: Api, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    code = submit(api)["code"]
    clock.at("2026-03-02 10:00")
    paused = act(api, code, "require_payment", "chuyenvien", amount=100000).get_json()
    assert paused["status_code"] == 6 and paused["fee_amount"] == 100000
    clock.at("2026-03-02 14:00")
    refused = act(api, code, "record_payment", "tiepnhan", online=True, receipt="VNPAY-123")
    assert refused.status_code == 422 and "online" in refused.get_json()["errors"]  # only the platform says so
    paid = act(api, code, "record_payment", "tiepnhan", online=False, receipt="BL-123").get_json()
    assert paid["status"] == "received" and paid["paid_online"] is False
    assert paid["paused_seconds"] == 2.5 * 3600  # 10:00-11:30 and 13:00-14:00
    # 5 Mar 17:00 + 2.5 working hours lands on 6 Mar 10:00: the appointment is that day, at the close of office hours
    assert paid["due_at"] == "2026-03-06T17:00:00+07:00"


def test_result_returned_then_rated_by_the_citizen(api: Api) -> None:
    created = submit(api)
    code, pin = created["code"], created["pin"]
    run_to_end(api, HKD, code)
    early = api.post(f"/public/dossiers/{code}/rating", json={"pin": pin, "rating": 3})
    assert early.status_code == 409
    assert act(api, code, "record_payment", "tiepnhan", online=False).status_code == 200
    assert act(api, code, "return_result", "tiepnhan", recipient="Nguyễn Thị Minh Anh").get_json()["status_code"] == 10
    assert api.post(f"/public/dossiers/{code}/rating", json={"pin": "000000" if pin != "000000" else "111111",
                                                             "rating": 3}).status_code == 404
    assert api.post(f"/public/dossiers/{code}/rating", json={"pin": pin, "rating": 5}).status_code == 422
    ok = api.post(f"/public/dossiers/{code}/rating", json={"pin": pin, "rating": 3, "comment": "Nhanh, chu đáo"})
    assert ok.status_code == 200 and ok.get_json()["rating"] == 3
    assert api.post(f"/public/dossiers/{code}/rating", json={"pin": pin, "rating": 1}).status_code == 409
    assert dossier(api, code)["rating"] == 3 and dossier(api, code)["history"][-1]["action"] == "rated"


# --- public tracking ----------------------------------------------------------------------------------
def test_public_tracking_shows_progress_without_personal_data(api: Api) -> None:
    created = submit(api)
    code, pin = created["code"], created["pin"]
    complete_next(api, code)
    resp = api.client.get(f"/api/v1/public/dossiers/{code}", headers={"X-Dossier-Pin": pin})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status_code"] == 4 and body["due_at"] and body["procedure"]["vi"].startswith("Đăng ký")
    assert [s["name"] for s in body["steps"]] == ["Thẩm định hồ sơ, dự thảo kết quả", "Phê duyệt, ký kết quả"]
    text = resp.get_data(as_text=True)
    for private in ("Minh Anh", "096188001234", "0912345678", "completed_by", "applicant"):
        assert private not in text
    assert api.client.get(f"/api/v1/public/dossiers/{code}?pin={pin}").status_code == 200


def test_wrong_pin_looks_like_an_unknown_code_and_is_throttled(api: Api, clock: FakeClock) -> None:
    created = submit(api)
    code, pin = created["code"], created["pin"]
    wrong = "123456" if pin != "123456" else "654321"

    def look(c: str, p: str) -> Any:
        return api.client.get(f"/api/v1/public/dossiers/{c}", headers={"X-Dossier-Pin": p})

    unknown, bad = look("MC-000000-99999", pin), look(code, wrong)
    assert unknown.status_code == bad.status_code == 404
    strip = lambda r: {k: v for k, v in r.get_json().items() if k not in ("instance", "detail")}  # noqa: E731
    assert strip(unknown) == strip(bad)
    for _ in range(4):
        assert look(code, wrong).status_code == 404
    throttled = look(code, pin)  # five failures on this code from this address: even the right PIN waits here
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    clock.now = clock.now.replace(hour=clock.now.hour + 1)
    assert look(code, pin).status_code == 200


# --- documents ----------------------------------------------------------------------------------------
def test_documents_render_with_the_dossiers_data(api: Api, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    code = submit(api, documents=[{"code": "giay-de-nghi", "kind": "original", "quantity": 1}])["code"]
    clock.at("2026-03-03 16:00")
    complete_next(api, code)   # late: due 14:30
    clock.at("2026-03-04 08:00")
    complete_next(api, code)   # on time: due 09:30 on the 4th... within PT4H
    receipt = api.get(f"/dossiers/{code}/documents/receipt", "tiepnhan")
    assert receipt.status_code == 200 and receipt.mimetype == "text/html"
    html = receipt.get_data(as_text=True)
    for expected in (code, "Nguyễn Thị Minh Anh", "Giấy đề nghị đăng ký hộ kinh doanh", "05/03/2026",
                     "Đăng ký thành lập hộ kinh doanh"):
        assert expected in html, expected
    sheet = api.get(f"/dossiers/{code}/documents/control-sheet", "tiepnhan").get_data(as_text=True)
    assert "Thẩm định hồ sơ, dự thảo kết quả" in sheet and "Quá hạn" in sheet and "Đúng hạn" in sheet
    apology = api.get(f"/dossiers/{code}/documents/apology?new_date=2026-03-09&reason=Chờ+xác+minh",
                      "tiepnhan").get_data(as_text=True)
    assert "09/03/2026" in apology and "Chờ xác minh" in apology
    assert api.get(f"/dossiers/{code}/documents/nope", "tiepnhan").status_code == 404
    assert api.get(f"/dossiers/{code}/documents/apology?new_date=hôm-qua", "tiepnhan").status_code == 422


# --- codes --------------------------------------------------------------------------------------------
def test_code_pattern_is_configurable_and_unique_under_concurrency(app_factory: Any, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    app = app_factory(clock=clock, dossier_code_pattern="{prefix}-{procedure}-{yyyy}{mm}-{seq:04d}")
    api = Api(app.test_client())
    token = api.token("tiepnhan")
    body = {"procedure": HKD, "applicant": PATHS[HKD]["applicant"], "data": PATHS[HKD]["start"]}

    def one(_: int) -> str:
        resp = app.test_client().post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["code"]

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(one, range(12)))
    assert sorted(codes) == [f"MC-{HKD}-202603-{n:04d}" for n in range(1, 13)]


def test_bad_code_pattern_is_refused_at_start(app_factory: Any) -> None:
    with pytest.raises(ValueError):
        app_factory(dossier_code_pattern="{unit}-{yymmdd}")
