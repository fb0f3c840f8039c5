"""Nothing is ever half-advanced: failures roll back, and a lost race changes nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import engine.dossiers.service
from engine.dossiers.models import Dossier, TaskRecord
from engine.store.models import AuditEntry

from .conftest import Api
from .test_flow import PATHS, open_task, submit

DATA = Path(__file__).parent / "data"


@pytest.fixture
def failing_api(app_factory: Any) -> Api:
    return Api(app_factory(processes_dir=DATA / "processes", forms_dir=DATA / "forms").test_client())


def snapshot(app: Flask, code: str) -> dict[str, Any]:
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        tasks = session.execute(select(TaskRecord.id, TaskRecord.state, TaskRecord.completed_by)
                                .where(TaskRecord.dossier_id == dossier.id).order_by(TaskRecord.id)).all()
        events = session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.dossier_id == dossier.id))
        return {"state": dossier.state, "lock": dossier.lock_version, "status": dossier.status,
                "tasks": [tuple(t) for t in tasks], "events": events}


def _start(api: Api) -> tuple[str, dict[str, Any]]:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": "kiem-thu-loi", "applicant": {"name": "Lê Văn Ất"}})
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    task = open_task(api, code)
    assert api.post(f"/tasks/{task['id']}/claim", "tiepnhan").status_code == 200
    return code, task


@pytest.mark.parametrize(("value", "element"), [(0, "Script_Chia"), (1000, "Gateway_Nhanh")])
def test_failing_script_or_gateway_rolls_everything_back(failing_api: Api, value: int, element: str) -> None:
    app = failing_api.client.application
    code, task = _start(failing_api)
    before = snapshot(app, code)

    resp = failing_api.post(f"/tasks/{task['id']}/complete", "tiepnhan", json={"data": {"so": value}})

    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "process-error"
    assert body["element"] == element
    assert snapshot(app, code) == before
    # the same task can still be completed with good data
    ok = failing_api.post(f"/tasks/{task['id']}/complete", "tiepnhan", json={"data": {"so": 50}})
    assert ok.status_code == 200, ok.get_json()
    assert [t["bpmn_id"] for t in ok.get_json()["next_tasks"]] == ["Task_Xong"]


def test_crash_after_state_change_leaves_the_dossier_as_it_was(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    app = api.client.application
    code = submit(api, "ho-kinh-doanh")["code"]
    task = open_task(api, code)
    api.post(f"/tasks/{task['id']}/claim", "chuyenvien")
    before = snapshot(app, code)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine.dossiers.service, "sync_tasks", crash)
    resp = api.post(f"/tasks/{task['id']}/complete", "chuyenvien",
                    json={"data": PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]})
    assert resp.status_code == 500
    assert resp.get_json()["code"] == "internal-error"
    assert snapshot(app, code) == before


def test_two_concurrent_completions_one_wins_one_gets_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    app = api.client.application
    code = submit(api, "ho-kinh-doanh")["code"]
    task = open_task(api, code)
    data = PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]
    token = api.token("chuyenvien")
    assert api.post(f"/tasks/{task['id']}/claim", "chuyenvien").status_code == 200
    before = snapshot(app, code)

    # Both requests read the dossier and pass every check before either writes: a real lost race.
    barrier = threading.Barrier(2, timeout=20)
    real_advance = engine.dossiers.service.advance

    def advance_together(workflow: Any, **kwargs: Any) -> None:
        real_advance(workflow, **kwargs)
        barrier.wait()

    monkeypatch.setattr(engine.dossiers.service, "advance", advance_together)

    def complete() -> Any:
        client = app.test_client()
        return client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
                           headers={"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: complete(), range(2)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.get_json() for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.mimetype == "application/problem+json" and loser.get_json()["code"] == "conflict"
    after = snapshot(app, code)
    assert after["events"] == before["events"] + 1  # one completion
    assert after["lock"] == before["lock"] + 1
    assert sorted(state for _, state, _ in after["tasks"]) == ["completed", "open"]
    monkeypatch.undo()
    # and a late retry of the finished task is refused the same way
    late = api.post(f"/tasks/{task['id']}/complete", "chuyenvien", json={"data": data})
    assert late.status_code == 409
