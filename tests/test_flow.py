"""Both shipped procedures run from submission to result through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Api

PATHS = json.loads((Path(__file__).parent / "data" / "paths.json").read_text(encoding="utf-8"))
ROLE_USERS = {"reception": "tiepnhan", "specialist": "chuyenvien", "leader": "lanhdao"}


def submit(api: Api, procedure: str, **overrides: Any) -> dict[str, Any]:
    body = {"procedure": procedure, "applicant": PATHS[procedure]["applicant"],
            "data": PATHS[procedure]["start"], "channel": "counter", **overrides}
    resp = api.post("/dossiers", "tiepnhan", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def open_task(api: Api, code: str) -> dict[str, Any]:
    dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
    assert len(dossier["open_tasks"]) == 1, dossier
    return dossier["open_tasks"][0]


def run_to_end(api: Api, procedure: str, code: str, overrides: dict[str, dict[str, Any]] | None = None
               ) -> list[str]:
    steps = PATHS[procedure]["steps"]
    seen = []
    for _ in range(20):
        dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
        if not dossier["open_tasks"]:
            return seen
        task = dossier["open_tasks"][0]
        user = ROLE_USERS[task["role"]]
        # the task appears in the inbox of its role, with its form
        inbox = api.get(f"/tasks?dossier={code}", user).get_json()
        assert [t["id"] for t in inbox["items"]] == [task["id"]]
        detail = api.get(f"/tasks/{task['id']}", user).get_json()
        assert detail["form"]["components"], detail
        data = {**steps[task["bpmn_id"]], **(overrides or {}).get(task["bpmn_id"], {})}
        resp = api.complete(task["id"], user, data)
        assert resp.status_code == 200, resp.get_json()
        seen.append(task["bpmn_id"])
    raise AssertionError("the dossier never finished")


@pytest.mark.parametrize("procedure", ["ho-kinh-doanh", "gpxd-nha-o"])
def test_procedure_runs_end_to_end(api: Api, procedure: str) -> None:
    created = submit(api, procedure)
    assert created["status"] == "received" and created["status_code"] == 2
    assert created["code"].startswith("CM-AX-") and len(created["pin"]) == 8  # the receiving unit's code
    assert created["due_at"].endswith("+07:00")

    seen = run_to_end(api, procedure, created["code"])

    assert seen == list(PATHS[procedure]["steps"])
    dossier = api.get(f"/dossiers/{created['code']}", "tiepnhan").get_json()
    assert dossier["status"] == "processed" and dossier["status_code"] == 9
    assert dossier["processed_at"] is not None and dossier["finished_at"].endswith("+07:00")
    # both procedures carry a fee: it can be paid as the result is collected
    assert dossier["allowed_actions"] == ["require_payment", "record_payment", "return_result"]
    assert dossier["fee_owed"] is True
    assert [s["bpmn_id"] for s in dossier["steps"]] == seen
    assert all(s["completed_by"] and s["due_at"] and s["on_time"] is True for s in dossier["steps"])
    expected = ["submitted", "received"]
    for step in seen:  # the leader's approval asks for the result document (the results job renders it)
        expected += ["claimed", "task_completed"] + (["result_requested"] if step == "Task_PheDuyet" else [])
    assert [e["action"] for e in dossier["history"]] == expected
    assert api.get("/tasks", "tiepnhan").get_json()["total"] == 0

    unpaid = api.post(f"/dossiers/{created['code']}/actions/return_result", "tiepnhan", json={})
    assert unpaid.status_code == 409 and unpaid.get_json()["code"] == "fee-unpaid"
    paid = api.post(f"/dossiers/{created['code']}/actions/record_payment", "tiepnhan", json={"online": False})
    assert paid.status_code == 200 and paid.get_json()["status"] == "processed", paid.get_json()
    resp = api.post(f"/dossiers/{created['code']}/actions/return_result", "tiepnhan",
                    json={"recipient": PATHS[procedure]["applicant"]["name"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "returned" and resp.get_json()["status_code"] == 10


def test_leader_sends_back_and_the_loop_continues(api: Api) -> None:
    created = submit(api, "gpxd-nha-o")
    code = created["code"]
    steps = PATHS["gpxd-nha-o"]["steps"]
    for bpmn_id in ["Task_ThamDinh", "Task_KiemTraThucDia", "Task_DuThao"]:
        task = open_task(api, code)
        assert task["bpmn_id"] == bpmn_id
        api.complete(task["id"], ROLE_USERS[task["role"]], steps[bpmn_id])
    task = open_task(api, code)
    resp = api.complete(task["id"], "lanhdao", {"phe_duyet": "tra_lai", "y_kien_lanh_dao": "Bổ sung chỉ giới."})
    assert resp.status_code == 200
    assert [t["bpmn_id"] for t in resp.get_json()["next_tasks"]] == ["Task_DuThao"]
    assert run_to_end(api, "gpxd-nha-o", code) == ["Task_DuThao", "Task_PheDuyet", "Task_NhanKetQua"]


def test_online_submission_waits_for_reception(api: Api) -> None:
    created = submit(api, "ho-kinh-doanh", channel="online")
    assert created["status"] == "registered" and created["status_code"] == 1
    assert created["received_at"] is None and created["due_at"] is None
    assert api.get("/tasks", "chuyenvien").get_json()["total"] == 0
    resp = api.post(f"/dossiers/{created['code']}/actions/receive", "tiepnhan", json={})
    assert resp.status_code == 200 and resp.get_json()["status"] == "received"
    assert open_task(api, created["code"])["bpmn_id"] == "Task_ThamDinh"


def test_dossier_codes_are_sequential_and_unique(api: Api) -> None:
    codes = [submit(api, "ho-kinh-doanh")["code"] for _ in range(3)]
    assert len(set(codes)) == 3
    assert [int(c.rsplit("-", 1)[1]) for c in codes] == [1, 2, 3]


def test_idempotency_key_makes_a_retried_submit_return_the_first_dossier(api: Api) -> None:
    body = {"procedure": "ho-kinh-doanh", "applicant": PATHS["ho-kinh-doanh"]["applicant"],
            "data": PATHS["ho-kinh-doanh"]["start"]}
    first = api.post("/dossiers", "tiepnhan", json=body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/dossiers", "tiepnhan", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert first.get_json()["code"] == again.get_json()["code"]
    assert first.get_json()["pin"] and again.get_json()["pin"] is None  # the PIN is shown once
    assert api.get("/tasks", "chuyenvien").get_json()["total"] == 1
