"""The national population database (both databases): a real stand-in on loopback answers; only officers holding
`population_lookup` may ask, for a dossier and with a purpose; each question is logged (no personal data kept) and
audited, a failed one too; a registration's claim that data came from the database is proven by the log's
hashes (a forged one is refused); the dossier and the figures show it; a citizen may look up their own data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.views.population import fetch
from connectors.population.standin import StandinPopulation
from connectors.population.standin import start as start_standin
from engine.dossiers.models import PopulationLookup
from engine.dossiers.population import CITIZEN_PURPOSE, SourceUnavailable, look_up_own
from engine.dossiers.population_claims import check_population_claims
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.store.models import AuditEntry

from .conftest import Api
from .test_flow import PATHS
from .test_officer_pages import add_officer, csrf_of, signed_in

HKD = "ho-kinh-doanh"
AN = "001099012345"
AN_NAME, AN_ADDRESS = "Nguyễn Văn An", "Số 25 đường Phan Ngọc Hiển, phường An Xuyên, tỉnh Cà Mau"
TOKEN = "khoa-dan-cu-thu-nghiem"
PURPOSE = "Tiếp nhận hồ sơ đăng ký hộ kinh doanh"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinPopulation]:
    server = start_standin(token=TOKEN)
    monkeypatch.setenv("MOTCUA_POPULATION_URL", server.url)
    monkeypatch.setenv("MOTCUA_POPULATION_TOKEN", TOKEN)
    monkeypatch.setenv("MOTCUA_POPULATION_TIMEOUT", "1")
    yield server
    server.stop()


@pytest.fixture
def pop_app(app_factory: Any, tmp_path: Path) -> Flask:
    app = app_factory(upload_dir=tmp_path / "uploads")
    add_officer(app, "tracuu", [("CM-AX", "reception"), ("CM-AX", "population_lookup")])
    return app


@pytest.fixture
def api(pop_app: Flask) -> Api:
    return Api(pop_app.test_client())


def ask(api: Api, user: str = "tracuu", **body: Any) -> Any:
    return api.post("/population/lookups", user, json={"personal_id": AN, "purpose": PURPOSE,
                                                        "reference": "counter:abc", **body})


def rows(app: Flask) -> list[PopulationLookup]:
    with app.extensions["motcua"].session_factory() as session:
        found = list(session.scalars(select(PopulationLookup).order_by(PopulationLookup.id)))
        session.expunge_all()
        return found


def audited(app: Flask, action: str = "population_looked_up") -> list[AuditEntry]:
    with app.extensions["motcua"].session_factory() as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))
        session.expunge_all()
        return found


def register(api: Api, lookup: int | None, fields: list[str], user: str = "tracuu", **applicant: str) -> Any:
    person = {"name": AN_NAME, "id_number": AN, "address": AN_ADDRESS, "phone": "0912345678", **applicant}
    return api.post("/dossiers", user, json={"procedure": HKD, "applicant": person, "data": PATHS[HKD]["start"],
                                             "population_fields": fields, "population_lookup": lookup})


def test_only_an_officer_with_the_right_looks_up_for_a_purpose_and_each_look_up_is_logged(
        pop_app: Flask, api: Api, standin: StandinPopulation) -> None:
    refused = ask(api, "tiepnhan")  # a reception officer without the right
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith("application/problem+json")
    for bad, field in (({"purpose": "  ", "reference": "counter:abc"}, "purpose"),
                       ({"personal_id": "12345", "reference": "counter:abc"}, "personal_id"),
                       ({}, "dossier_code")):  # no dossier and no registration in progress
        resp = api.post("/population/lookups", "tracuu", json={"personal_id": AN, "purpose": PURPOSE, **bad})
        assert resp.status_code == 422 and field in resp.get_json()["errors"], (bad, resp.get_json())
    assert standin.queries == [] and rows(pop_app) == []  # nothing asked, nothing logged

    found = ask(api)
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert body["fields"]["name"] == AN_NAME and body["fields"]["birth_date"] == "1990-05-12"
    assert body["fields"]["gender"] == "male" and body["applicant"] == {"name": AN_NAME, "address": AN_ADDRESS}
    assert [m["relation"] for m in body["household"]["members"]] == ["Vợ", "Con"]
    assert standin.queries == [{"personal_id": AN, "purpose": PURPOSE, "officer": "tracuu", "unit": "CM-AX",
                                "reference": "counter:abc"}]
    [row] = rows(pop_app)
    assert (row.outcome, row.key_last, row.purpose, row.unit_code, row.reference) == (
        "found", "2345", PURPOSE, "CM-AX", "counter:abc")
    assert AN not in row.key_hash and AN_NAME not in str(row.field_hashes)  # the log keeps no personal data
    assert set(row.field_hashes or {}) == {"name", "birth_date", "gender", "permanent_address", "current_address"}
    [entry] = audited(pop_app)
    assert entry.detail["outcome"] == "found" and entry.detail["purpose"] == PURPOSE and entry.actor_id == row.user_id
    assert ask(api, personal_id="001099099999").status_code == 404  # not in the database: logged as such
    assert [r.outcome for r in rows(pop_app)] == ["found", "not_found"] and len(audited(pop_app)) == 2

    # a dossier of another commune's is not the officer's to name
    other = api.post("/population/lookups", "tracuu", json={"personal_id": AN, "purpose": PURPOSE,
                                                             "dossier_code": "MC-NOPE"})
    assert other.status_code == 404 and len(rows(pop_app)) == 2


def test_the_administrator_grants_and_revokes_the_right(pop_app: Flask, api: Api, standin: StandinPopulation
                                                         ) -> None:
    user_id = next(u["id"] for u in api.get("/users", "quantri").get_json()["items"] if u["username"] == "tiepnhan")
    grant = api.post(f"/users/{user_id}/memberships", "quantri", json={"unit": "CM-AX", "role": "population_lookup"})
    assert grant.status_code == 200, grant.get_json()
    assert ask(api, "tiepnhan").status_code == 200
    revoke = api.call("DELETE", f"/users/{user_id}/memberships/CM-AX/population_lookup", "quantri")
    assert revoke.status_code == 200
    api.tokens.clear()
    assert ask(api, "tiepnhan").status_code == 403
    assert len(audited(pop_app, "membership_added")) + len(audited(pop_app, "membership_removed")) >= 2


def test_a_database_that_fails_is_a_clear_4xx_and_the_failure_is_logged(pop_app: Flask, api: Api,
                                                                        standin: StandinPopulation) -> None:
    for mode in ("fail", "down", "slow"):
        standin.set_mode(mode, delay=2.5)
        resp = ask(api)
        assert resp.status_code == 409, (mode, resp.get_json())
        assert resp.get_json()["code"] == "population-unavailable"
    assert [r.outcome for r in rows(pop_app)] == ["failed"] * 3
    assert [e.detail["outcome"] for e in audited(pop_app)] == ["failed"] * 3
    standin.set_mode("ok")
    assert ask(api).status_code == 200  # it works again, nothing lost


def test_registration_with_population_data_is_proven_by_the_log(pop_app: Flask, api: Api,
                                                               standin: StandinPopulation) -> None:
    lookup = ask(api).get_json()["lookup_id"]
    # forged: a value the database did not return; a look-up of someone else; another officer's look-up
    assert register(api, lookup, ["name"], name="Nguyễn Văn Ân").status_code == 422
    other = ask(api, personal_id="096185000123").get_json()["lookup_id"]
    assert register(api, other, ["name"]).status_code == 422
    assert register(api, None, ["name"]).status_code == 422
    add_officer(pop_app, "tracuu2", [("CM-AX", "reception")])
    assert register(api, lookup, ["name"], user="tracuu2").status_code == 422

    created = register(api, lookup, ["name", "address"])
    assert created.status_code == 201, created.get_json()
    code = created.get_json()["code"]
    dossier = api.get(f"/dossiers/{code}", "tracuu").get_json()
    assert dossier["field_sources"] == {"name": "population", "address": "population"}
    assert set(dossier["reused_fields"]) == {"name", "address"}
    assert rows(pop_app)[0].dossier_code == code  # the registration in progress became this dossier

    # the officer's dossier page says which data came from the national database
    client, _ = signed_in(pop_app, "tracuu")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert re.search(r"data-field-sources[^>]*>.*CSDL quốc gia về dân cư", page, re.S), page[:200]

    # the data re-use figure counts it
    today = date.today().isoformat()
    [total] = api.get(f"/stats?start={today[:8]}01&end=2099-01-01", "lanhdao").get_json()["groups"]
    assert total["reused"] == 1
    leader, _ = signed_in(pop_app, "lanhdao")  # and the dashboard counts the period's look-ups beside it
    assert 'data-population-lookups="2"' in leader.get("/dashboard/").get_data(as_text=True)


def test_the_counter_page_offers_the_look_up_only_with_the_right(pop_app: Flask, standin: StandinPopulation
                                                                  ) -> None:
    with_right, _ = signed_in(pop_app, "tracuu")
    without, _ = signed_in(pop_app, "tiepnhan")
    assert "data-population-ask" in with_right.get(f"/counter/{HKD}").get_data(as_text=True)
    assert "data-population-ask" not in without.get(f"/counter/{HKD}").get_data(as_text=True)
    token = csrf_of(with_right, f"/counter/{HKD}")
    form = {"csrf_token": token, "token": "t1", "applicant_kind": "person", "applicant_name": "Người Khác",
            "applicant_id_number": AN, "applicant_address": AN_ADDRESS, "channel": "counter",
            "data": "{}", "population": ["name"], "population_lookup": "1"}
    resp = with_right.post(f"/counter/{HKD}", data=form)
    assert resp.status_code == 422 and "CSDL quốc gia về dân cư" in resp.get_data(as_text=True)


def test_a_citizen_looks_up_their_own_data(pop_app: Flask, standin: StandinPopulation) -> None:
    citizen = {"subject": "sub-an", "key": AN, "kind": "person", "name": AN_NAME, "claims": {}}
    with pop_app.extensions["motcua"].uow() as uow:
        answer = look_up_own(uow, citizen, fetch)
        assert answer.fields["name"] == AN_NAME and answer.lookup_id
        with pytest.raises(Forbidden):
            look_up_own(uow, {**citizen, "kind": "business"}, fetch)
        with pytest.raises(NotFound):
            look_up_own(uow, {**citizen, "key": "001099099999"}, fetch)
        standin.set_mode("fail")
        with pytest.raises(SourceUnavailable):
            look_up_own(uow, citizen, fetch)
        # the look-up proves the citizen's own claim, and no one else's
        assert check_population_claims(uow, {"id_number": AN, "name": AN_NAME}, answer.lookup_id, ["name"],
                                       citizen_subject="sub-an") == {"name": "population"}
        with pytest.raises(ValidationFailed):
            check_population_claims(uow, {"id_number": AN, "name": AN_NAME}, answer.lookup_id, ["name"],
                                    citizen_subject="sub-other")
    assert [(r.outcome, r.citizen_subject, r.user_id, r.purpose) for r in rows(pop_app)] == [
        ("found", "sub-an", None, CITIZEN_PURPOSE), ("not_found", "sub-an", None, CITIZEN_PURPOSE),
        ("failed", "sub-an", None, CITIZEN_PURPOSE)]
    assert [e.detail.get("citizen") for e in audited(pop_app)] == ["sub-an"] * 3
    assert standin.queries[0]["officer"] == "citizen:sub-an"
