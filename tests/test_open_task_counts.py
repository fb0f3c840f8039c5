"""The open-task counts the database keeps per unit and role stay equal to the tasks themselves through the
whole lifecycle, survive folding (also beside a transaction still writing), and give leaders exact inbox
totals. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engine.dossiers.models import TaskRecord
from engine.work.counts import fold, open_tasks, recount
from engine.work.models import OpenTaskCount

from .conftest import Api
from .test_flow import PATHS, ROLE_USERS, open_task

UNITS = ("CM", "CM-AX", "CM-TT")


def actual(app: Flask) -> dict[str, int]:
    with app.extensions["motcua"].session_factory() as session:
        rows = session.execute(select(TaskRecord.unit_code, func.count()).where(TaskRecord.state == "open")
                               .group_by(TaskRecord.unit_code)).all()
    return {unit: n for unit, n in rows}


def kept(app: Flask) -> dict[str, int]:
    with app.extensions["motcua"].session_factory() as session:
        counts = {unit: open_tasks(session, [unit]) for unit in UNITS}
    return {unit: n for unit, n in counts.items() if n}


def fold_now(app: Flask) -> int:
    with app.extensions["motcua"].session_factory() as session:
        folded = fold(session)
        session.commit()
    return folded


def rows(app: Flask) -> int:
    with app.extensions["motcua"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(OpenTaskCount)) or 0


def submit(api: Api, procedure: str = "ho-kinh-doanh", **overrides: Any) -> str:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": procedure, "applicant": PATHS[procedure]["applicant"],
                                                   "data": PATHS[procedure]["start"], "channel": "counter",
                                                   **overrides})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["code"]


def complete_next(api: Api, code: str, procedure: str = "ho-kinh-doanh") -> None:
    task = open_task(api, code)
    resp = api.complete(task["id"], ROLE_USERS[task["role"]], PATHS[procedure]["steps"][task["bpmn_id"]])
    assert resp.status_code == 200, resp.get_json()


def act(api: Api, code: str, action: str, **params: Any) -> None:
    resp = api.post(f"/dossiers/{code}/actions/{action}", "tatca", json=params)
    assert resp.status_code == 200, resp.get_json()


def test_counts_follow_every_change_of_the_tasks(api: Api) -> None:
    app = api.client.application
    codes = [submit(api) for _ in range(3)] + [submit(api, "gpxd-nha-o", competent_unit="CM-TT")]
    assert kept(app) == actual(app) == {"CM-AX": 3, "CM-TT": 1}

    complete_next(api, codes[0])  # a step closes, the next opens
    complete_next(api, codes[0])
    act(api, codes[1], "request_supplement", missing=["Giấy tờ"])  # paused: its step is suspended
    assert kept(app) == actual(app)
    act(api, codes[1], "supplement_received")  # open again
    act(api, codes[2], "withdraw", reason="Công dân xin rút")  # cancelled
    assert kept(app) == actual(app)

    before = rows(app)
    assert fold_now(app) == before > len(actual(app))
    assert rows(app) <= len(actual(app)) * 3  # one row per unit and role
    assert kept(app) == actual(app)
    assert fold_now(app) == 0  # nothing left to fold

    complete_next(api, codes[1])
    assert kept(app) == actual(app)
    with app.extensions["motcua"].session_factory() as session:
        recount(session)
        session.commit()
    assert kept(app) == actual(app)


def test_leaders_inbox_totals_are_exact_filtered_or_not(api: Api) -> None:
    app = api.client.application
    codes = [submit(api) for _ in range(4)]
    complete_next(api, codes[0])  # one step now waits for the leader
    fold_now(app)
    submit(api)  # and one more after the fold: a delta beside the folded rows
    for view in ("team", "all"):
        page = api.get(f"/tasks?view={view}&limit=2", "lanhdao").get_json()
        assert page["total"] == actual(app)["CM-AX"] == 5, view
        assert len(page["items"]) == 2
    assert api.get("/tasks?view=team&procedure=ho-kinh-doanh", "lanhdao").get_json()["total"] == 5
    assert api.get("/tasks?view=team&q=khong-co-ai", "lanhdao").get_json()["total"] == 0
    assert api.get("/tasks?view=all", "chuyenvien").get_json()["total"] == 4  # not a leader: counted rows
    assert api.get("/tasks?view=team", "quantri").get_json()["total"] == 0  # an admin leads no unit


def test_a_fold_beside_an_uncommitted_transaction_loses_no_delta(pg_app_factory: Any) -> None:
    """On PostgreSQL, where a writer can be mid-transaction while the scheduler folds (SQLite has one writer)."""
    app = pg_app_factory()
    api = Api(app.test_client())
    codes = [submit(api) for _ in range(3)]
    task = open_task(api, codes[0])
    assert api.post(f"/tasks/{task['id']}/claim", "chuyenvien").status_code == 200
    factory = app.extensions["motcua"].session_factory
    written, release = threading.Event(), threading.Event()

    def slow_writer() -> None:  # closes a task and opens one, then waits before committing
        with factory() as session:
            row = session.get(TaskRecord, task["id"])
            row.state = "cancelled"
            session.add(TaskRecord(id="t-slow", dossier_id=row.dossier_id, bpmn_id="x", name="x", role="leader",
                                   unit_code="CM-TT", state="open", dossier_code=row.dossier_code))
            session.flush()
            written.set()
            release.wait(10)
            session.commit()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert written.wait(10)
    fold_now(app)  # must not take or lose the writer's deltas
    release.set()
    writer.join()
    assert kept(app) == actual(app) == {"CM-AX": 2, "CM-TT": 1}
    fold_now(app)
    assert kept(app) == actual(app)


def test_the_scheduler_folds_the_counts(api: Api) -> None:
    from engine.runtime import Runtime
    from engine.scheduling import scheduler
    from engine.scheduling.models import JobRun

    app = api.client.application
    for _ in range(3):
        submit(api)
    runtime: Runtime = app.extensions["motcua"]
    scheduler.build_scheduler(runtime.settings, scheduler.job_context(runtime.settings, runtime.uow, runtime.clock))
    assert rows(app) == 3  # one +1 per opened step
    assert scheduler.job_counts() == 3  # folded into one row
    assert rows(app) == 1 and kept(app) == actual(app) == {"CM-AX": 3}
    with app.extensions["motcua"].session_factory() as session:
        assert session.scalar(select(JobRun.items).where(JobRun.job == "counts")) == 3
