"""The scheduler cannot die silently: a run that raises is retried at the next interval, a database lock held
for 10 s only delays it, and `/healthz` says `degraded` while a job is overdue and `ok` again once it runs."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from api import create_app
from engine.runtime import Runtime
from engine.scheduling.models import JobHeartbeat
from engine.scheduling.scheduler import Job, Scheduler, build_scheduler, job_context

from .conftest import Api, make_settings
from .pgserver import _free_port

DATA = Path(__file__).parent / "data"


def _scheduler(settings: Any, jobs: list[Job] | None = None) -> Scheduler:
    runtime = Runtime.from_settings(settings)
    context = job_context(settings, runtime.uow, runtime.clock)
    return Scheduler(context, jobs) if jobs is not None else build_scheduler(settings, context)


def _wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _health(client: FlaskClient) -> tuple[int, dict[str, Any]]:
    resp = client.get("/healthz")
    return resp.status_code, resp.get_json()


def test_healthz_reports_each_job_and_goes_degraded_when_the_scheduler_stops(app_factory: Any,
                                                                             database_url: str) -> None:
    client = app_factory(health_grace_seconds=1).test_client()
    status, body = _health(client)  # no scheduler has ever run on this database
    assert status == 503 and body["code"] == "degraded" and body["health"] == "degraded"
    assert {job: state["overdue"] for job, state in body["jobs"].items()} == {
        "timers": True, "sweep": True, "delivery": True, "counts": True, "purge": True, "checkpoint": True,
        "portal": True, "payments": True, "results": True, "archive": True}

    settings = make_settings(database_url, timer_interval=0.2, sweep_interval=0.2, delivery_interval=0.2,
                             counts_interval=0.2, audit_checkpoint_interval=0.2, portal_sync_interval=0.2,
                             payment_reconcile_interval=0.2, results_interval=0.2, archive_interval=0.2)
    scheduler = _scheduler(settings)
    scheduler.start()
    try:
        # A job just started is not overdue before its first run: wait for that run too. The checks below read
        # the very answer that was 200: under load a later request may find a job a moment past its 1 s grace.
        answers: list[Any] = []

        def healthy() -> bool:
            answer = client.get("/healthz")
            if answer.status_code == 200 and answer.get_json()["jobs"]["timers"]["last_success"]:
                answers.append(answer)
            return bool(answers)

        assert _wait_for(healthy, 20)
        resp = answers[0]
        body = resp.get_json()
        assert resp.mimetype == "application/json" and resp.headers["Cache-Control"] == "no-store"
        assert body["status"] == "ok" and body["health"] == "ok" and body["database"] == "ok"
        timers = body["jobs"]["timers"]
        assert timers["last_success"].endswith("+07:00") and timers["interval_seconds"] == 0.2
        assert timers["overdue"] is False and timers["failures"] == 0
        assert "worker" not in resp.text and "error" not in resp.text  # nothing about hosts or processes
    finally:
        scheduler.shutdown()
    assert _wait_for(lambda: all(s["overdue"] for job, s in _health(client)[1]["jobs"].items()
                                 if job != "purge"), 5)  # after 1 s grace; the hourly purge is due later
    resp = client.get("/healthz")
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 503 and body["health"] == "degraded" and body["database"] == "ok"
    assert "timers" in body["detail"] and "counts" in body["detail"]


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path}/no/such/dir/m.db", f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/x"):
        app = create_app(make_settings(url))
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["database"] == "unreachable" and resp.get_json()["health"] == "degraded"
        assert "sqlite" not in resp.text.lower() and "psycopg" not in resp.text.lower()


def test_a_job_that_raises_is_retried_at_the_next_interval(app: Flask, database_url: str) -> None:
    """A real database error (a table that is not there yet) fails the first runs; the job keeps running."""
    settings = make_settings(database_url)
    engine = app.extensions["motcua"].engine
    runs: list[str] = []

    def work(ctx: Any) -> tuple[int, float]:
        with ctx.uow() as uow:
            uow.session.execute(text("SELECT count(*) FROM later_table"))
        runs.append("ok")
        return 0, 0.0

    scheduler = _scheduler(settings, [Job("timers", 0.2, work)])
    scheduler.start()
    try:
        def failures() -> int:
            with app.extensions["motcua"].session_factory() as session:
                row = session.get(JobHeartbeat, "timers")
                return row.failures if row else 0

        assert _wait_for(lambda: failures() >= 3, 10)
        with app.extensions["motcua"].session_factory() as session:
            row = session.get(JobHeartbeat, "timers")
            assert row.last_success_at is None and row.last_failure_at is not None
            assert row.last_error and row.last_error.startswith(("OperationalError", "ProgrammingError"))
        assert scheduler.alive() and not runs
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE later_table (id integer)"))
        assert _wait_for(lambda: len(runs) >= 2, 10)
        assert scheduler.alive()
        with app.extensions["motcua"].session_factory() as session:
            row = session.get(JobHeartbeat, "timers")
            assert row.last_success_at is not None and row.failures == 0
    finally:
        scheduler.shutdown()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS later_table"))


def test_the_scheduler_outlives_a_write_lock_held_for_10_seconds(app_factory: Any, database_url: str) -> None:
    """SQLite: another connection holds the write lock for 10 s while a BPMN timer falls due. The scheduler waits
    (its engine has a busy timeout), /healthz goes degraded meanwhile, then the timer fires and all is ok again."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the database-wide write lock is SQLite's")
    app = app_factory(processes_dir=DATA / "processes", forms_dir=DATA / "forms", health_grace_seconds=1)
    api, client = Api(app.test_client()), app.test_client()
    settings = make_settings(database_url, timer_interval=0.2, sweep_interval=0.5, delivery_interval=0.5,
                             counts_interval=0.5)
    scheduler = _scheduler(settings)
    scheduler.start()
    try:
        assert _wait_for(lambda: _health(client)[0] == 200, 10)
        code = api.post("/dossiers", "tiepnhan", json={"procedure": "kiem-thu-hen-gio",
                                                       "applicant": {"name": "Á"}}).get_json()["code"]
        # the boundary timer falls due 2 s from now, while the lock is held
        locker = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        locked_at = time.monotonic()
        seen: list[int] = []

        def watch() -> None:
            while time.monotonic() - locked_at < 10:
                seen.append(_health(app.test_client())[0])
                time.sleep(0.25)

        watcher = threading.Thread(target=watch)
        watcher.start()
        watcher.join()
        locker.execute("COMMIT")
        locker.close()
        assert 503 in seen, seen  # the heartbeats stopped: degraded, not silent

        def timer_fired() -> bool:
            tasks = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"]
            return bool(tasks) and tasks[0]["bpmn_id"] == "Task_QuaHan"

        assert _wait_for(timer_fired, 10), "the timer that fell due under the lock never fired"
        assert _wait_for(lambda: _health(client)[0] == 200, 10)
        assert scheduler.alive()
        with app.extensions["motcua"].session_factory() as session:
            beats = {row.job: row for row in session.scalars(select(JobHeartbeat))}
        assert all(row.failures == 0 for row in beats.values())
    finally:
        scheduler.shutdown()


def test_the_scheduler_outlives_a_postgresql_restart() -> None:
    """A server of its own, stopped for a few seconds under a running scheduler: runs fail meanwhile, and the
    jobs succeed again once it is back, in the same scheduler."""
    from engine.store.migrate import upgrade

    from . import pgserver

    server = pgserver.start()
    try:
        url = server.create_database("motcua_restart")
        upgrade(url)
        settings = make_settings(url, timer_interval=0.2, sweep_interval=0.2, delivery_interval=0.2,
                                 counts_interval=0.2)
        scheduler = _scheduler(settings)
        scheduler.start()
        engine = Runtime.from_settings(settings).engine
        try:
            def last_success() -> Any:
                try:
                    with engine.connect() as conn:
                        return conn.execute(text("SELECT max(last_success_at) FROM job_heartbeats")).scalar()
                except DBAPIError:  # the server is down, or this pooled connection was cut by the restart
                    return None

            assert _wait_for(lambda: last_success() is not None, 10)
            before = last_success()
            pg_ctl = [pgserver.find_binary("pg_ctl"), "-D", str(server.datadir)]
            pgserver._run([*pg_ctl, "-m", "fast", "stop"], server._run_as)
            assert _wait_for(lambda: sum(scheduler.context.failures.values()) >= 4, 10)  # runs fail, retried
            assert scheduler.alive()
            options = f"-p {server.port} -k {server.datadir.parent / 'sock'} -c listen_addresses=127.0.0.1"
            pgserver._run([*pg_ctl, "-o", options, "-l", str(server.datadir.parent / "server.log"), "-w", "-t",
                           "60", "start"], server._run_as)
            assert _wait_for(lambda: (last_success() or before) > before, 15)
            assert _wait_for(lambda: not scheduler.context.failures, 10) and scheduler.alive()
        finally:
            scheduler.shutdown()
            engine.dispose()
    finally:
        server.stop()
