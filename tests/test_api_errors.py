"""Bad input gets a clear 4xx problem+json and changes nothing; auth is enforced everywhere."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from engine.people.models import User

from .conftest import PASSWORD, Api
from .test_flow import PATHS, open_task, submit


def assert_problem(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if code:
        assert body["code"] == code, body
    return body


# --- authentication ---------------------------------------------------------------------------------
def test_token_for_good_credentials_and_401_for_bad(api: Api) -> None:
    ok = api.client.post("/api/v1/auth/token", json={"username": "lanhdao", "password": PASSWORD})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["token_type"] == "Bearer" and body["user"]["roles"] == ["leader"]
    assert_problem(api.client.post("/api/v1/auth/token", json={"username": "lanhdao", "password": "sai"}),
                   401)
    assert_problem(api.client.post("/api/v1/auth/token", json={"username": "khong-co", "password": "x"}), 401)


@pytest.mark.parametrize("path", ["/tasks", "/dossiers/MC-1", "/tasks/abc"])
def test_protected_endpoints_need_a_token(api: Api, path: str) -> None:
    resp = api.get(path)
    assert_problem(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api.get(path, headers={"Authorization": "Bearer not-a-token"}), 401)
    assert_problem(api.get(path, headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)


def test_expired_token_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - 9 * 3600)
    token = api.client.post("/api/v1/auth/token",
                            json={"username": "tiepnhan", "password": PASSWORD}).get_json()["access_token"]
    monkeypatch.undo()
    body = assert_problem(api.get("/tasks", headers={"Authorization": f"Bearer {token}"}), 401)
    assert body["reason"] == "token-expired"


def test_disabled_account_loses_access_at_once(api: Api, app: Flask) -> None:
    assert api.get("/tasks", "tiepnhan").status_code == 200
    with app.extensions["motcua"].session_factory() as session:
        session.query(User).filter_by(username="tiepnhan").update({"active": False})
        session.commit()
    assert_problem(api.get("/tasks", "tiepnhan"), 401)


def test_roles_are_enforced(api: Api) -> None:
    body = {"procedure": "ho-kinh-doanh", "applicant": PATHS["ho-kinh-doanh"]["applicant"],
            "data": PATHS["ho-kinh-doanh"]["start"]}
    assert_problem(api.post("/dossiers", "chuyenvien", json=body), 403, "forbidden")
    code = submit(api, "ho-kinh-doanh")["code"]
    task = open_task(api, code)  # a specialist task
    data = {"data": PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]}
    assert_problem(api.get(f"/tasks/{task['id']}", "tiepnhan"), 403)
    assert_problem(api.post(f"/tasks/{task['id']}/complete", "tiepnhan", json=data), 403)
    assert api.get("/tasks", "tiepnhan").get_json()["total"] == 0
    assert open_task(api, code)["id"] == task["id"]


# --- malformed and invalid input --------------------------------------------------------------------
def test_malformed_bodies_get_400(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    assert_problem(api.post("/dossiers", "tiepnhan", data=b"{not json", headers=headers), 400)
    assert_problem(api.post("/dossiers", "tiepnhan", data=b"[1, 2]", headers=headers), 400)
    assert_problem(api.post("/dossiers", "tiepnhan", data=b"", headers=headers), 422)  # no body: fields missing
    assert_problem(api.post("/dossiers", "tiepnhan", data=b"a=b",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)
    assert_problem(api.client.post("/api/v1/auth/token", data=b"\xff\xfe", headers=headers), 400)


def test_invalid_envelope_gets_422_with_field_errors(api: Api) -> None:
    body = assert_problem(api.post("/dossiers", "tiepnhan", json={
        "procedure": "ho-kinh-doanh", "applicant": {"id_number": "12"}, "channel": "fax", "extra": 1}), 422)
    errors = body["errors"]
    assert set(errors) == {"applicant", "channel", "extra"}
    assert "name" in errors["applicant"] and "id_number" in errors["applicant"]


def test_invalid_start_form_gets_422_and_creates_nothing(api: Api) -> None:
    data = {**PATHS["ho-kinh-doanh"]["start"], "chu_ho_so_dinh_danh": "abc", "von_kinh_doanh": -5}
    del data["ten_ho_kinh_doanh"]
    body = assert_problem(api.post("/dossiers", "tiepnhan", json={
        "procedure": "ho-kinh-doanh", "applicant": {"name": "Á"}, "data": data}), 422, "validation-failed")
    # the declaration's errors under `data`, beside any of the applicant's or the documents' (all at once)
    assert set(body["errors"]) == {"data"}
    assert set(body["errors"]["data"]) == {"chu_ho_so_dinh_danh", "von_kinh_doanh", "ten_ho_kinh_doanh"}
    assert api.get("/tasks", "chuyenvien").get_json()["total"] == 0


def test_invalid_task_form_gets_422_and_the_workflow_is_untouched(api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task = open_task(api, code)
    bad = {**PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"], "dat_dieu_kien": "có", "khong_co_truong": 1}
    body = assert_problem(api.complete(task["id"], "chuyenvien", bad), 422)
    assert set(body["errors"]) == {"dat_dieu_kien", "khong_co_truong"}
    dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
    assert [t["id"] for t in dossier["open_tasks"]] == [task["id"]] and dossier["steps"] == []
    assert [e["action"] for e in dossier["history"]] == ["submitted", "received", "claimed"]


def test_unknown_ids_get_404(api: Api) -> None:
    assert_problem(api.post("/dossiers", "tiepnhan", json={
        "procedure": "khong-ton-tai", "applicant": {"name": "A"}}), 404, "not-found")
    assert_problem(api.get("/dossiers/MC-000000-00001", "tiepnhan"), 404)
    assert_problem(api.get("/tasks/00000000-0000-0000-0000-000000000000", "tiepnhan"), 404)
    assert_problem(api.post("/tasks/nope/complete", "tiepnhan", json={"data": {}}), 404)
    assert_problem(api.get("/procedures/khong-ton-tai"), 404)
    assert_problem(api.get("/khong-co-duong-dan"), 404)


def test_wrong_method_gets_405_problem(api: Api) -> None:
    assert_problem(api.call("DELETE", "/procedures"), 405)


# --- public catalogue and OpenAPI -------------------------------------------------------------------
def test_procedure_catalogue_is_public_and_vietnamese(api: Api) -> None:
    items = api.get("/procedures").get_json()["items"]
    assert {p["code"] for p in items} >= {"ho-kinh-doanh", "gpxd-nha-o"}
    detail = api.get("/procedures/gpxd-nha-o").get_json()
    assert detail["name"]["vi"] == "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    assert detail["legal_time"] == {"value": 15.0, "unit": "working_days", "cutoff": None,
                                    "source": detail["legal_time"]["source"]}
    assert [s["role"] for s in detail["steps"]] == ["specialist"] * 3 + ["leader", "reception"]
    assert detail["start_form"]["components"]
    assert detail["documents"] and detail["version"] == 1


def test_openapi_document_describes_every_endpoint(api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/api/v1/auth/token", "/api/v1/procedures", "/api/v1/procedures/{code}",
                                 "/api/v1/dossiers", "/api/v1/dossiers/{code}", "/api/v1/tasks",
                                 "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/complete",
                                 "/api/v1/dossiers/{code}/actions/{action}", "/api/v1/dossiers/{code}/documents/{kind}",
                                 "/api/v1/public/dossiers/{code}", "/api/v1/public/dossiers/{code}/rating",
                                 "/api/v1/stats", "/api/v1/calendar", "/api/v1/calendar/overrides/{day}"}
    assert "429" in doc["paths"]["/api/v1/public/dossiers/{code}"]["get"]["responses"]
    create = doc["paths"]["/api/v1/dossiers"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"201", "400", "401", "404", "422"} <= set(create["responses"])
    assert "DossierCreate" in doc["components"]["schemas"]
