"""Workflow state is stored without the spec, compact, and exact; specs are restored per version."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select

import engine.procedures.specs
from engine.dossiers.models import Dossier
from engine.dossiers.workflows import advance, new_workflow, ready_user_tasks
from engine.procedures.catalog import SpecCache
from engine.procedures.models import ProcedureVersion
from engine.procedures.packages import read_package
from engine.procedures.serialization import dump_workflow, load_workflow, state_json
from engine.procedures.specs import compile_package

from .conftest import Api
from .test_flow import PATHS, run_to_end, submit

ROOT = Path(__file__).resolve().parent.parent


def states(app: Flask) -> list[bytes]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(Dossier.state)))


@pytest.mark.parametrize("procedure", ["ho-kinh-doanh", "gpxd-nha-o"])
def test_stored_state_is_small_and_has_no_spec(api: Api, procedure: str) -> None:
    code = submit(api, procedure)["code"]
    sizes = [len(states(api.client.application)[0])]
    steps = PATHS[procedure]["steps"]
    while True:
        dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
        if not dossier["open_tasks"]:
            break
        task = dossier["open_tasks"][0]
        user = {"reception": "tiepnhan", "specialist": "chuyenvien", "leader": "lanhdao"}[task["role"]]
        api.complete(task["id"], user, steps[task["bpmn_id"]])
        sizes.append(len(states(api.client.application)[0]))
    [state] = states(api.client.application)
    assert state[:1] != b"{"  # deflated
    stored = orjson.loads(state_json(state))
    assert "spec" not in stored and "subprocess_specs" not in stored
    assert b"task_specs" not in state_json(state)
    assert max(sizes) <= 4 * 1024, sizes


def test_a_state_stored_as_plain_json_still_loads() -> None:
    """Dossiers saved before states were deflated keep working."""
    compiled = compile_package(read_package(ROOT / "processes" / "ho-kinh-doanh", ROOT / "forms"))
    workflow = new_workflow(compiled, PATHS["ho-kinh-doanh"]["start"])
    advance(workflow)
    plain = state_json(dump_workflow(workflow))
    assert plain[:1] == b"{"
    restored = load_workflow(plain, compiled.spec, compiled.subprocess_specs)
    assert [str(t.id) for t in ready_user_tasks(restored)] == [str(t.id) for t in ready_user_tasks(workflow)]


def test_task_data_types_survive_a_round_trip() -> None:
    compiled = compile_package(read_package(ROOT / "processes" / "ho-kinh-doanh", ROOT / "forms"))
    data = {"ngay": date(2026, 2, 17), "luc": datetime(2026, 2, 17, 8, 30, tzinfo=UTC),
            "tien": Decimal("150000000.50"), "ten": "Nguyễn Thị Minh Anh", "tap": {"a"}, **PATHS[
                "ho-kinh-doanh"]["start"]}
    workflow = new_workflow(compiled, data)
    advance(workflow)
    restored = load_workflow(dump_workflow(workflow), compiled.spec, compiled.subprocess_specs)
    task = ready_user_tasks(restored)[0]
    assert task.data["ngay"] == date(2026, 2, 17)
    assert task.data["luc"] == datetime(2026, 2, 17, 8, 30, tzinfo=UTC)
    assert task.data["tien"] == Decimal("150000000.50")
    assert task.data["ten"] == "Nguyễn Thị Minh Anh"
    assert task.data["tap"] == ["a"]  # sets come back as lists, as with SpiffWorkflow's own serializer
    assert str(task.id) == str(ready_user_tasks(workflow)[0].id)


def test_a_fresh_process_restores_specs_from_the_database_without_parsing(
        app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(app_factory().test_client())
    code = submit(api, "gpxd-nha-o")["code"]

    def no_parsing(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("BPMN was parsed again")

    monkeypatch.setattr(engine.procedures.specs, "SpiffBpmnParser", no_parsing)
    second = app_factory()  # a new process: empty cache, same database, content unchanged
    cache: SpecCache = second.extensions["motcua"].cache
    assert cache._by_version == {}
    api2 = Api(second.test_client())
    assert run_to_end(api2, "gpxd-nha-o", code)[-1] == "Task_NhanKetQua"
    with second.extensions["motcua"].session_factory() as session:
        version = session.scalars(select(ProcedureVersion).where(
            ProcedureVersion.procedure_code == "gpxd-nha-o")).one()
    assert version.id in cache._by_version
