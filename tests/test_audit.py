"""Every state change is audited in its own transaction, chained by hash; tampering is detected."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from api.cli import main as cli_main

from .conftest import PASSWORD, Api
from .test_flow import PATHS, run_to_end
from .test_lifecycle import submit


def verify(api: Api) -> dict[str, Any]:
    resp = api.get("/audit/verify", "quantri")
    assert resp.status_code == 200
    return resp.get_json()


def sql(app: Flask, statement: str) -> None:
    with app.extensions["motcua"].engine.begin() as conn:
        conn.execute(text(statement))


def test_history_records_who_when_what_and_the_chain_verifies(api: Api, app: Flask) -> None:
    code = submit(api)["code"]
    run_to_end(api, "ho-kinh-doanh", code)
    history = api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
    assert [e["action"] for e in history] == ["submitted", "received"] + ["claimed", "task_completed"] * 3
    completed = history[3]
    assert completed["actor_unit"] == "CM-AX" and completed["actor_id"] and completed["at"].endswith("+07:00")
    assert completed["before"] == {"status": "received"} and completed["after"]["status"] == "processing"
    assert completed["detail"]["data"]["y_kien_tham_dinh"].startswith("Hồ sơ hợp lệ")
    assert api.get("/dossiers/CM-AX-000000-00009/history", "tiepnhan").status_code == 404
    result = verify(api)
    assert result["ok"] is True and result["checked"] == len(history) + 4  # four sign-ins are audited too
    assert api.get("/audit/verify", "lanhdao").status_code == 403


def test_sign_ins_and_administration_are_audited(api: Api, app: Flask) -> None:
    api.token("lanhdao")
    api.client.post("/api/v1/auth/token", json={"username": "lanhdao", "password": "wrong-password"})
    created = api.post("/users", "quantri", json={"username": "can.bo.moi", "password": PASSWORD,
                                                  "full_name": "Cán bộ Mới",
                                                  "memberships": [{"unit": "CM-TT", "role": "reception"}]})
    assert created.status_code == 201 and created.get_json()["roles"] == ["reception"]
    api.call("PATCH", f"/users/{created.get_json()['id']}", "quantri", json={"active": False})
    with app.extensions["motcua"].engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY seq"))]
    assert actions.count("signed_in") == 2 and "user_created" in actions and actions[-1] == "user_changed"


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_log SET detail = '{\"reasons\": [\"sửa lén\"]}' WHERE seq = 3",
    "UPDATE audit_log SET actor_id = NULL WHERE seq = 3",
    "DELETE FROM audit_log WHERE seq = 3",
])
def test_tampering_is_detected(api: Api, app: Flask, database_url: str, tamper: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    code = submit(api)["code"]
    run_to_end(api, "ho-kinh-doanh", code)
    assert verify(api)["ok"] is True
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    assert cli_main(["audit", "verify"]) == 0
    sql(app, tamper)
    result = verify(api)
    assert result["ok"] is False and result["broken_at"] == 3
    assert cli_main(["audit", "verify"]) == 1


def test_removing_the_newest_entries_is_detected(api: Api, app: Flask) -> None:
    submit(api)
    api.token("quantri")  # sign in first: signing in appends an entry too
    sql(app, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    result = verify(api)
    assert result["ok"] is False and "removed" in result["reason"]


def test_concurrent_transactions_chain_without_forking(api: Api, app: Flask) -> None:
    codes = [submit(api)["code"] for _ in range(6)]
    tasks = [api.get(f"/tasks?dossier={c}", "chuyenvien").get_json()["items"][0]["id"] for c in codes]
    for task in tasks:
        api.post(f"/tasks/{task}/claim", "chuyenvien")
    token = api.token("chuyenvien")

    def complete(task: str) -> int:
        return app.test_client().post(f"/api/v1/tasks/{task}/complete", headers={"Authorization": f"Bearer {token}"},
                                      json={"data": PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]}).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(complete, tasks)) == [200] * 6
    result = verify(api)
    assert result["ok"] is True, result
