"""Scoped access: roles x units x endpoints. Another unit's things are not found (404); a thing of one's
unit but of another role is forbidden (403); a province-level membership covers its communes. Dossiers and
tasks (citizens' personal data) are for officer roles only: an administrator, designer or reform officer,
even at the province, finds none (404). (test_url_map.py walks every endpoint.)"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api
from .test_flow import PATHS
from .test_inbox import make_officer

OTHERS = {"tt_spec": [("CM-TT", "specialist")], "tt_lead": [("CM-TT", "leader")],
          "tinh_lead": [("CM", "leader")], "tinh_spec": [("CM", "specialist")],
          "tinh_design": [("CM", "designer")], "tinh_reform": [("CM", "reform_officer")]}
USERS = ["tiepnhan", "chuyenvien", "lanhdao", "quantri", *OTHERS]


@pytest.fixture
def world(app: Any) -> tuple[Api, str, str]:
    for username, memberships in OTHERS.items():
        make_officer(app, username, memberships)
    api = Api(app.test_client())
    body = {"procedure": "ho-kinh-doanh", "data": PATHS["ho-kinh-doanh"]["start"],
            "applicant": PATHS["ho-kinh-doanh"]["applicant"]}
    code = api.post("/dossiers", "tiepnhan", json=body).get_json()["code"]
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]["id"]
    return api, code, task


NO_DOSSIERS = {"quantri": 404, "tinh_design": 404, "tinh_reform": 404}
DOSSIER_READ = {"tiepnhan": 200, "chuyenvien": 200, "lanhdao": 200, "tt_spec": 404, "tt_lead": 404,
                "tinh_lead": 200, "tinh_spec": 200, **NO_DOSSIERS}
MATRIX: dict[str, dict[str, int]] = {
    "GET /dossiers/{code}": DOSSIER_READ,
    "GET /dossiers/{code}/history": DOSSIER_READ,
    "GET /dossiers/{code}/documents/receipt": DOSSIER_READ,
    "GET /tasks/{task}": {"tiepnhan": 403, "chuyenvien": 200, "lanhdao": 200, "tt_spec": 404, "tt_lead": 404,
                          "tinh_lead": 200, "tinh_spec": 200, **NO_DOSSIERS},
    "GET /tasks/{task}/candidates": {"tiepnhan": 403, "chuyenvien": 403, "lanhdao": 200, "tt_spec": 403,
                                     "tt_lead": 404, "tinh_lead": 200, "tinh_spec": 403,
                                     **dict.fromkeys(NO_DOSSIERS, 403)},  # the leader role is checked first
    "POST /tasks/{task}/claim": {"tiepnhan": 403, "chuyenvien": 200, "lanhdao": 403, "tt_spec": 404,
                                 "tt_lead": 404, "tinh_lead": 403, "tinh_spec": 200, **NO_DOSSIERS},
    "POST /tasks/{task}/complete": {"tiepnhan": 403, "chuyenvien": 409, "lanhdao": 403, "tt_spec": 404,
                                    "tt_lead": 404, "tinh_lead": 403, "tinh_spec": 409, **NO_DOSSIERS},
    "POST /dossiers/{code}/actions/require_payment": {"tiepnhan": 200, "chuyenvien": 200, "lanhdao": 403,
                                                       "tt_spec": 404, "tt_lead": 404, "tinh_lead": 403,
                                                       "tinh_spec": 200, **NO_DOSSIERS},
    "POST /dossiers/{code}/actions/stop": {"tiepnhan": 403, "chuyenvien": 403, "lanhdao": 200, "tt_spec": 404,
                                           "tt_lead": 404, "tinh_lead": 200, "tinh_spec": 403, **NO_DOSSIERS},
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_access_matrix(world: tuple[Api, str, str], endpoint: str) -> None:
    api, code, task = world
    method, path = endpoint.split(" ")
    path = path.format(code=code, task=task)
    body: dict[str, Any] = {"reason": "Kiểm thử", "amount": 1000} if "/actions/" in endpoint else {}
    if endpoint.endswith("/complete"):
        body = {"data": PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]}
    for user in USERS:
        resp = api.call(method, path, user, json=body) if method == "POST" else api.get(path, user)
        assert resp.status_code == MATRIX[endpoint][user], (endpoint, user, resp.get_data(as_text=True)[:300])
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json"
        # undo what an allowed write did, so every user meets the same state
        if method == "POST" and resp.status_code == 200:
            if endpoint.endswith("/claim"):
                assert api.post(f"/tasks/{task}/unclaim", user).status_code == 200
            elif endpoint.endswith("require_payment"):
                assert api.post(f"/dossiers/{code}/actions/record_payment", "tiepnhan",
                                json={"online": False}).status_code == 200
            elif endpoint.endswith("/stop"):
                code = api.post("/dossiers", "tiepnhan", json={
                    "procedure": "ho-kinh-doanh", "data": PATHS["ho-kinh-doanh"]["start"],
                    "applicant": PATHS["ho-kinh-doanh"]["applicant"]}).get_json()["code"]
                path = f"/dossiers/{code}/actions/stop"


def test_lists_and_figures_are_scoped(world: tuple[Api, str, str]) -> None:
    api, code, _ = world
    counts = {u: api.get("/tasks", u).get_json()["total"] for u in USERS}
    assert counts == {"tiepnhan": 0, "chuyenvien": 1, "lanhdao": 1, "quantri": 0, "tt_spec": 0, "tt_lead": 0,
                      "tinh_lead": 1, "tinh_spec": 1, "tinh_design": 0, "tinh_reform": 0}
    today = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["received_at"][:10]
    query = f"/stats?start={today}&end=2099-01-01"
    assert api.get(query, "lanhdao").get_json()["groups"][0]["received"] == 1
    assert api.get(query, "tt_lead").get_json()["groups"] == []
    assert api.get(query, "tinh_lead").get_json()["groups"][0]["received"] == 1
    assert api.get(query, "chuyenvien").status_code == 403
    assert api.get(query, "tinh_reform").get_json()["groups"][0]["received"] == 1  # figures, not dossiers
    assert api.get("/users", "tt_lead").get_json()["items"][0]["username"] == "tt_lead"
    assert {u["username"] for u in api.get("/users", "lanhdao").get_json()["items"]} == {
        "tiepnhan", "chuyenvien", "lanhdao", "tatca"}
