"""Least privilege. Citizens' personal data only for officers of the dossier's units: designers, reform officers
and administrators see procedures and figures, never a dossier. An administrator administers its unit's
subtree and grants nothing beyond it: the issue's CM-TT administrator can no longer make itself the province's,
create a leader elsewhere or disable the province's administrator."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.store.models import AuditEntry

from .conftest import PASSWORD, Api
from .test_dashboard import MARCH_QS, Seeded
from .test_dashboard import seeded as seeded
from .test_flow import PATHS, run_to_end
from .test_inbox import make_officer, user_id
from .test_officer_pages import signed_in

HKD = "ho-kinh-doanh"
APPLICANT = PATHS[HKD]["applicant"]
PERSONAL = (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"])


def no_personal_data(text: str) -> bool:
    return not any(value in text for value in PERSONAL)


def test_designers_reform_officers_and_admins_see_procedures_and_figures_not_dossiers(api: Api) -> None:
    app = api.client.application
    make_officer(app, "tinh_design", [("CM", "designer")])
    make_officer(app, "tinh_reform", [("CM", "reform_officer")])
    body = {"procedure": HKD, "applicant": APPLICANT, "data": PATHS[HKD]["start"]}
    done = api.post("/dossiers", "tiepnhan", json=body).get_json()["code"]
    run_to_end(api, HKD, done)
    code = api.post("/dossiers", "tiepnhan", json=body).get_json()["code"]
    task = api.get(f"/dossiers/{code}", "lanhdao").get_json()["open_tasks"][0]["id"]
    assert not no_personal_data(api.get(f"/dossiers/{code}", "lanhdao").get_data(as_text=True))  # the control
    for user in ("tinh_design", "tinh_reform", "quantri"):
        for path in (f"/dossiers/{code}", f"/dossiers/{code}/history", f"/dossiers/{code}/documents/receipt",
                     f"/tasks/{task}", f"/dossiers/{done}"):
            resp = api.get(path, user)
            assert resp.status_code == 404 and no_personal_data(resp.get_data(as_text=True)), (user, path)
        client, _ = signed_in(app, user)
        for page in (f"/dossiers/{code}", f"/tasks/{task}"):
            resp = client.get(page)
            assert resp.status_code in (403, 404) and no_personal_data(resp.get_data(as_text=True)), (user, page)
        assert api.get(f"/procedures/{HKD}", user).status_code == 200
        assert api.get(f"/procedures/{HKD}/versions", user).status_code == 200
    for user in ("tinh_design", "tinh_reform", "quantri"):  # what-if: durations of finished dossiers, no names
        replay = api.get(f"/procedures/{HKD}/versions/1/what-if?months=3", user)
        assert replay.status_code == 200 and replay.get_json()["actual"]["dossiers"] == 1
        assert no_personal_data(replay.get_data(as_text=True)) and done not in replay.get_data(as_text=True)
    figures = api.get("/stats?start=2020-01-01&end=2099-01-01&group_by=unit", "tinh_reform")
    assert figures.status_code == 200 and figures.get_json()["groups"][0]["received"] == 2
    assert no_personal_data(figures.get_data(as_text=True))
    designer, _ = signed_in(app, "tinh_design")
    for page in (f"/designer/{HKD}/versions/1/what-if?months=3", f"/designer/{HKD}/diff?from=1&to=1",
                 "/designer/"):
        resp = designer.get(page)
        assert resp.status_code == 200 and no_personal_data(resp.get_data(as_text=True)), page


def test_the_dashboard_of_an_administrator_has_figures_but_no_applicants(seeded: Seeded) -> None:
    app = seeded.app
    with app.extensions["motcua"].session_factory() as session:
        from engine.people.organisation import create_user

        create_user(session, "quantritinh", PASSWORD, "Quản trị", [("CM", "admin")])
        session.commit()
    names = {"Nguyễn Thị Minh Anh", "Trần Văn Hùng"}
    leader = seeded.page_client("lanhdaotinh").get(f"/dashboard/?{MARCH_QS}").get_data(as_text=True)
    assert names & {n for n in names if n in leader}  # the province's leader handles them: named
    admin = seeded.page_client("quantritinh")
    page = admin.get(f"/dashboard/?{MARCH_QS}")
    assert page.status_code == 200 and not any(n in page.get_data(as_text=True) for n in names)
    overdue = admin.get(f"/dashboard/overdue.csv?{MARCH_QS}")
    rows = list(csv.reader(io.StringIO(overdue.data.decode("utf-8-sig")), delimiter=";"))
    assert overdue.status_code == 200 and len(rows) == 1  # the header only
    assert seeded.api.get("/escalations", "quantritinh").get_json()["items"] == []
    assert seeded.api.get("/escalations", "lanhdaotinh").get_json()["items"]
    received = seeded.api.get("/stats?start=2026-03-01&end=2026-04-01", "quantritinh").get_json()["groups"]
    assert received[0]["received"] == 4  # the figures are the province's


def test_a_commune_administrator_administers_only_its_commune(api: Api) -> None:
    app: Flask = api.client.application
    tt_admin = make_officer(app, "tt_admin", [("CM-TT", "admin")])
    quantri, lanhdao = user_id(api, "quantri"), user_id(api, "lanhdao")

    def grant(user: int, unit: str, role: str, as_user: str = "tt_admin") -> int:
        return api.post(f"/users/{user}/memberships", as_user, json={"unit": unit, "role": role}).status_code

    # the escalation, step by step: all refused
    assert grant(tt_admin, "CM", "admin") == 403
    assert grant(tt_admin, "CM", "leader") == 403
    assert grant(tt_admin, "CM-TT", "designer") == 403  # procedures are the whole province's
    leader = {"username": "lanhdao.ax2", "password": PASSWORD, "full_name": "Lãnh đạo",
              "memberships": [{"unit": "CM-AX", "role": "leader"}]}
    assert api.post("/users", "tt_admin", json=leader).status_code == 403
    assert api.call("PATCH", f"/users/{quantri}", "tt_admin", json={"active": False}).status_code == 403
    assert api.call("PATCH", f"/users/{lanhdao}", "tt_admin", json={"full_name": "X"}).status_code == 403
    assert api.call("DELETE", f"/users/{quantri}/memberships/CM/admin", "tt_admin").status_code == 403
    assert api.get("/me", "quantri").status_code == 200  # still active, still the province's administrator
    # within its commune it administers
    own = api.post("/users", "tt_admin", json={**leader, "username": "lanhdao.tt",
                                               "memberships": [{"unit": "CM-TT", "role": "leader"}]})
    assert own.status_code == 201
    own_id = own.get_json()["id"]
    assert grant(own_id, "CM-TT", "specialist") == 200 and grant(own_id, "CM-TT", "admin") == 200
    assert grant(own_id, "CM-XX", "specialist") == 422  # a mistake is still a 422
    assert api.call("PATCH", f"/users/{own_id}", "tt_admin", json={"full_name": "Lãnh đạo TT"}).status_code == 200
    assert {u["username"] for u in api.get("/users", "tt_admin").get_json()["items"]} == {"tt_admin", "lanhdao.tt"}
    # units: its own (not moved out) and below it; nothing above or beside
    unit = {"name": "Tân Thành", "level": "commune", "parent_code": "CM"}
    assert api.call("PUT", "/units/CM-TT", "tt_admin", json=unit).status_code == 200
    assert api.call("PUT", "/units/CM-TT", "tt_admin", json={**unit, "parent_code": None}).status_code == 403
    assert api.call("PUT", "/units/CM-AX", "tt_admin", json={**unit, "name": "X"}).status_code == 403
    assert api.call("PUT", "/units/CM", "tt_admin", json={"name": "X", "level": "province"}).status_code == 403
    assert api.call("PUT", "/units/CM-NEW", "tt_admin", json=unit).status_code == 403
    assert api.call("PUT", "/units/CM-TT-1", "tt_admin", json={**unit, "parent_code": "CM-TT"}).status_code == 200
    # the calendar and the procedures are the whole organisation's; hand-overs only of its own officers
    override = {"working": False, "name": "Nghỉ"}
    assert api.call("PUT", "/calendar/overrides/2026-05-04", "tt_admin", json=override).status_code == 403
    assert api.call("PUT", "/calendar/overrides/2026-05-04", "quantri", json=override).status_code == 200
    assert api.post(f"/procedures/{HKD}/versions/1/publish", "tt_admin", json={"note": "x"}).status_code == 403
    assert api.post("/handovers", "tt_admin", json={"from_user": lanhdao, "to_user": own_id}).status_code == 403
    spare = api.post("/users", "tt_admin", json={**leader, "username": "chuyenvien.tt",
                                                 "memberships": [{"unit": "CM-TT", "role": "specialist"}]})
    assert api.post("/handovers", "tt_admin", json={"from_user": spare.get_json()["id"], "to_user": own_id,
                                                    "deactivate": True}).status_code == 200
    # the province's administrator administers every commune, and the audit keeps every change
    assert grant(own_id, "CM-TT", "designer", "quantri") == 200
    assert api.call("PATCH", f"/users/{own_id}", "tt_admin", json={"full_name": "Y"}).status_code == 403  # now
    with app.extensions["motcua"].session_factory() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.entity == "user")
                                                     .order_by(AuditEntry.seq))]
    assert actions.count("membership_added") == 3 and "user_created" in actions and "deactivated" in actions


def test_an_admin_without_memberships_elsewhere_is_listed_by_the_province(api: Api) -> None:
    app: Flask = api.client.application
    orphan = make_officer(app, "mo_coi", [])
    users: dict[str, Any] = {u["username"]: u for u in api.get("/users", "quantri").get_json()["items"]}
    assert "mo_coi" in users and "tiepnhan" in users
    make_officer(app, "tt_admin", [("CM-TT", "admin")])
    assert api.call("PATCH", f"/users/{orphan}", "tt_admin", json={"active": False}).status_code == 403
    assert api.call("PATCH", f"/users/{orphan}", "quantri", json={"active": False}).status_code == 200
