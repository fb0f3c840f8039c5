"""Deadline escalation: warn -> escalate -> re-escalate -> apology, exactly once, never missed; the
outbox delivers over SMTP and webhooks with retries; BPMN timers fire on time."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func, select, text

from engine.dossiers.models import Escalation, TaskRecord
from engine.runtime import Runtime
from engine.scheduling.delivery import Channels, deliver
from engine.scheduling.escalation import sweep
from engine.scheduling.models import JobRun, OutboxMessage
from engine.scheduling.scheduler import build_scheduler, job_context

from .conftest import Api, FakeClock, make_settings
from .pgserver import _free_port
from .test_flow import PATHS
from .test_inbox import make_officer
from .test_lifecycle import submit

DATA = Path(__file__).parent / "data"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def _context(settings: Any, clock: Any = None) -> Any:
    runtime = Runtime.from_settings(settings, clock)
    return job_context(settings, runtime.uow, runtime.clock)


def run_sweep(app: Flask) -> dict[str, int]:
    with app.extensions["motcua"].uow() as uow:
        return sweep(uow).by_kind


def notes(api: Api, user: str) -> list[str]:
    return [n["payload"]["kind"] for n in api.get("/notifications", user).get_json()["items"]]


def test_warn_escalate_reescalate_and_apology(api: Api, app: Flask, clock: FakeClock) -> None:
    make_officer(app, "lanhdao_tinh", [("CM", "leader")])
    clock.at("2026-03-02 09:00")
    code = submit(api)["code"]  # due Thu 5 Mar 17:00; first step PT12H, due Tue 3 Mar 14:30
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]
    api.post(f"/tasks/{task['id']}/claim", "chuyenvien")

    clock.at("2026-03-03 09:59")
    assert run_sweep(app) == {}
    clock.at("2026-03-03 10:00")  # 25 % of 12 h (3 working hours) before 14:30, lunch skipped
    assert run_sweep(app) == {"warning": 1}
    assert run_sweep(app) == {}  # idempotent: nothing fires twice
    assert notes(api, "chuyenvien") == ["warning"] and notes(api, "lanhdao") == []

    clock.at("2026-03-03 14:31")
    assert run_sweep(app) == {"escalation": 1}
    assert notes(api, "lanhdao") == ["escalation"]
    open_ = api.get("/escalations", "lanhdao").get_json()["items"]
    assert [(e["kind"], e["dossier"], e["unit_code"]) for e in open_] == [
        ("warning", code, "CM-AX"), ("escalation", code, "CM-AX")]
    assert api.get("/tasks", "chuyenvien").get_json()["items"][0]["overdue"] is True

    clock.at("2026-03-04 14:31")  # 8 working hours after the due time: to the province's leaders
    assert run_sweep(app) == {"reescalation": 1}
    assert notes(api, "lanhdao_tinh") == ["reescalation"]

    clock.at("2026-03-05 07:31")  # one working day before the legal date, still not processed
    assert run_sweep(app) == {"apology": 1}
    apology = [e for e in api.get("/escalations?kind=apology", "lanhdao").get_json()["items"]]
    assert apology[0]["proposed_due_at"] == "2026-03-09T17:00:00+07:00"  # two working days after the due date
    assert "apology" in notes(api, "lanhdao")
    assert run_sweep(app) == {}

    # completing the step resolves its escalations; the apology stays until the dossier is processed
    assert api.complete(task["id"], "chuyenvien", PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]).status_code == 200
    assert [e["kind"] for e in api.get("/escalations", "lanhdao").get_json()["items"]] == ["apology"]
    history = [e["action"] for e in api.get(f"/dossiers/{code}/history", "lanhdao").get_json()["items"]]
    assert history.count("warning") == history.count("escalation") == history.count("apology_drafted") == 1
    assert api.get("/audit/verify", "quantri").get_json()["ok"] is True


def test_a_pause_moves_the_escalations_too(api: Api, app: Flask, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    code = submit(api)["code"]
    clock.at("2026-03-02 10:00")
    api.post(f"/dossiers/{code}/actions/request_supplement", "chuyenvien", json={"missing": ["Giấy đề nghị"]})
    clock.at("2026-03-03 10:00")  # would have warned, but the dossier is paused
    assert run_sweep(app) == {}
    api.post(f"/dossiers/{code}/actions/supplement_received", "tiepnhan")  # 8 working hours paused
    clock.at("2026-03-03 10:00")
    assert run_sweep(app) == {}
    clock.at("2026-03-04 10:00")  # the warning moved by the paused working day
    assert run_sweep(app) == {"warning": 1}


def test_two_schedulers_side_by_side_fire_each_escalation_once(api: Api, app: Flask, clock: FakeClock) -> None:
    clock.at("2026-03-02 09:00")
    for _ in range(12):
        submit(api)
    clock.at("2026-03-05 08:00")  # every step is past warn, escalate and re-escalate; the apologies are due
    barrier = threading.Barrier(2)

    def scheduler(_: int) -> dict[str, int]:
        barrier.wait()
        totals: dict[str, int] = {}
        for _ in range(4):
            for kind, n in run_sweep(app).items():
                totals[kind] = totals.get(kind, 0) + n
        return totals

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(scheduler, range(2)))
    combined = {k: sum(r.get(k, 0) for r in results) for k in ("warning", "escalation", "reescalation", "apology")}
    assert combined == {"warning": 12, "escalation": 12, "reescalation": 12, "apology": 12}
    with app.extensions["motcua"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Escalation)) == 48
        assert set(session.scalars(select(TaskRecord.escalation_level))) == {3}


def test_a_scheduler_started_after_downtime_fires_what_fell_due(app: Flask, api: Api, clock: FakeClock,
                                                                  database_url: str) -> None:
    clock.at("2026-03-02 09:00")
    submit(api)
    clock.at("2026-03-04 15:00")  # the scheduler was down while warn, escalate and re-escalate fell due
    settings = make_settings(database_url, sweep_interval=0.2, timer_interval=0.2, delivery_interval=0.2)
    scheduler = build_scheduler(settings, _context(settings, clock))
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with app.extensions["motcua"].session_factory() as session:
                if session.scalar(select(func.count()).select_from(Escalation)) == 3:
                    break
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    with app.extensions["motcua"].session_factory() as session:
        kinds = sorted(session.scalars(select(Escalation.kind)))
        runs = session.scalars(select(JobRun).where(JobRun.job == "sweep")).all()
    assert kinds == ["escalation", "reescalation", "warning"]
    assert runs and max(r.max_lag_seconds for r in runs) > 0
    metrics = {m["job"]: m for m in api.get("/scheduler/metrics", "lanhdao").get_json()["items"]}
    assert metrics["sweep"]["items"] == 3 and metrics["sweep"]["max_lag_seconds"] > 3600


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def test_outbox_delivers_over_smtp_and_webhook_and_retries_failures(api: Api, app: Flask, clock: FakeClock
                                                                    ) -> None:
    with app.extensions["motcua"].engine.begin() as conn:
        conn.execute(text("UPDATE users SET email = 'chuyenvien@camau.gov.vn' WHERE username = 'chuyenvien'"))
    clock.at("2026-03-02 09:00")
    task = api.get(f"/tasks?dossier={submit(api)['code']}", "chuyenvien").get_json()["items"][0]
    api.post(f"/tasks/{task['id']}/claim", "chuyenvien")
    clock.at("2026-03-03 10:00")
    run_sweep(app)

    services = app.extensions["motcua"]
    with services.engine.begin() as conn:  # the applicant's SMS at receipt: tests/test_citizen_messages.py
        conn.execute(text("DELETE FROM outbox WHERE channel = 'sms'"))
    down = Channels(smtp_host="127.0.0.1", smtp_port=_free_port(), timeout=2)  # nobody listens there
    with services.uow() as uow:
        assert deliver(uow, down)[:2] == (0, 1)
    with services.session_factory() as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
        assert (mail.state, mail.attempts) == ("pending", 1) and "Connection" in (mail.last_error or "")
        assert mail.next_attempt_at - clock.now == timedelta(seconds=30)  # backoff before the next attempt
    with services.uow() as uow:
        assert deliver(uow, down) == (0, 0, 0.0)  # not due again yet

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(orjson.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        with services.session_factory() as session:
            session.add(OutboxMessage(channel="webhook", address=f"http://127.0.0.1:{hook.server_port}/hook",
                                      subject="Quá hạn", body="...", payload={"kind": "escalation"}, state="pending",
                                      attempts=0, next_attempt_at=clock.now, created_at=clock.now))
            session.commit()
        clock.now += timedelta(seconds=31)
        with services.uow() as uow:
            assert deliver(uow, Channels(smtp_host="127.0.0.1", smtp_port=smtp.port))[:2] == (2, 0)
    finally:
        smtp.stop()
        hook.shutdown()
    assert len(mailbox.messages) == 1 and mailbox.messages[0].rcpt_tos == ["chuyenvien@camau.gov.vn"]
    mail = email.message_from_bytes(mailbox.messages[0].content, policy=email.policy.default)
    assert mail["Subject"].startswith("Sắp đến hạn") and "hồ sơ" in mail.get_content()
    assert received == [{"subject": "Quá hạn", "body": "...", "kind": "escalation"}]
    with services.session_factory() as session:
        assert set(session.scalars(select(OutboxMessage.state))) == {"sent"}


def test_boundary_timer_fires_on_time_and_working_timers_use_the_calendar(app_factory: Any, database_url: str
                                                                         ) -> None:
    app = app_factory(processes_dir=DATA / "processes", forms_dir=DATA / "forms")
    api = Api(app.test_client())
    settings = make_settings(database_url, timer_interval=0.2, sweep_interval=60, delivery_interval=60)
    scheduler = build_scheduler(settings, _context(settings))
    scheduler.start()
    try:
        started = datetime.now(UTC)
        code = api.post("/dossiers", "tiepnhan", json={"procedure": "kiem-thu-hen-gio",
                                                       "applicant": {"name": "Á"}}).get_json()["code"]
        fired_at = None
        while datetime.now(UTC) < started + timedelta(seconds=8):
            tasks = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"]
            if tasks and tasks[0]["bpmn_id"] == "Task_QuaHan":
                fired_at = datetime.now(UTC)
                break
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert fired_at is not None, "the boundary timer never fired"
    assert fired_at - (started + timedelta(seconds=2)) < timedelta(seconds=2)
    history = [e["action"] for e in api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]]
    assert "timer_fired" in history

    # a timer with `workingDuration` waits in working time, from the calendar
    other = api.post("/dossiers", "tiepnhan", json={"procedure": "kiem-thu-hen-gio",
                                                    "applicant": {"name": "B"}}).get_json()["code"]
    task = api.get(f"/dossiers/{other}", "tiepnhan").get_json()["open_tasks"][0]
    assert api.complete(task["id"], "tiepnhan", {}).status_code == 200
    services = app.extensions["motcua"]
    with services.uow() as uow:
        from engine.dossiers.models import Dossier

        dossier = uow.session.scalars(select(Dossier).where(Dossier.code == other)).one()
        completed = max(t.completed_at for t in uow.session.scalars(select(TaskRecord).where(
            TaskRecord.dossier_id == dossier.id)) if t.completed_at)
        expected = uow.calendar.add_working_time(completed, timedelta(hours=1))
        assert abs((dossier.next_timer_at - expected).total_seconds()) < 1


def test_rules_come_from_the_procedure_and_its_steps(api: Api, app: Flask, clock: FakeClock) -> None:
    """gpxd-nha-o says: warn one working day (8 h) before; its approval step, 4 h before."""
    clock.at("2026-03-02 09:00")
    code = submit(api, "gpxd-nha-o")["code"]  # first step P4D: due Fri 6 Mar 09:00
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]
    assert task["due_at"] == "2026-03-06T09:00:00+07:00"
    clock.at("2026-03-05 08:59")
    assert run_sweep(app) == {}
    clock.at("2026-03-05 09:00")
    assert run_sweep(app) == {"warning": 1}


def test_step_rules_override_the_procedures() -> None:
    from engine.procedures.escalation_rules import rules_for

    meta = {"escalation": {"warn_before_hours": 8, "reescalate_after_hours": 8, "warn_remaining": 0.25,
                           "escalate_at_due": True, "steps": {"Task_PheDuyet": {"warn_before_hours": 4}}}}
    assert rules_for(meta, "Task_PheDuyet").warn_before_hours == 4
    assert rules_for(meta, "Task_ThamDinh").warn_before_hours == 8
    assert rules_for({}, "Task_ThamDinh").warn_remaining == 0.25  # defaults when a procedure says nothing


def test_two_real_schedulers_on_one_database(app: Flask, api: Api, clock: FakeClock, database_url: str) -> None:
    """Two schedulers running at once on one database: each escalation fires once."""
    clock.at("2026-03-02 09:00")
    for _ in range(8):
        submit(api)
    clock.at("2026-03-05 08:00")
    settings = make_settings(database_url, sweep_interval=0.1, timer_interval=5, delivery_interval=5)
    schedulers = [build_scheduler(settings, _context(settings, clock)) for _ in range(2)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.extensions["motcua"].session_factory() as session:
                if session.scalar(select(func.count()).select_from(Escalation)) >= 32:
                    break
            time.sleep(0.2)
        time.sleep(1.0)  # let both run a few more passes: nothing more may fire
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
    with app.extensions["motcua"].session_factory() as session:
        kinds = list(session.scalars(select(Escalation.kind)))
    assert sorted({k: kinds.count(k) for k in set(kinds)}.items()) == [
        ("apology", 8), ("escalation", 8), ("reescalation", 8), ("warning", 8)]
