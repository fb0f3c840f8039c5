"""A citizen signed in with VNeID fills the online declaration from their own record in the national population
database: the look-up is theirs only, logged and audited; the dossier says the address came from the database and
the name from the identity; an address changed on the way is not claimed; the database down fills nothing."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from connectors.identity.standin import StandinProvider
from connectors.population.standin import StandinPopulation
from engine.dossiers.models import Dossier, PopulationLookup
from engine.dossiers.population import CITIZEN_PURPOSE
from engine.store.models import AuditEntry

from .identity_provider import AN
from .test_identity import SUBMIT, csrf, form_fields, post_submit, sign_in
from .test_population import standin as standin
from .test_portal import GPXD
from .test_portal import portal_app as portal_app

PERMANENT = "Số 25 đường Phan Ngọc Hiển, phường An Xuyên, tỉnh Cà Mau"  # the stand-in's record of AN



def fill(client: Any) -> Any:
    return client.post(f"{SUBMIT}/population", data={"csrf_token": csrf(client.get(SUBMIT).get_data(as_text=True))})


def test_the_citizen_fills_the_address_from_the_population_database(portal_app: Flask, vneid: StandinProvider,
                                                                    standin: StandinPopulation) -> None:
    anonymous = portal_app.test_client()
    assert "data-population-fill" not in anonymous.get(SUBMIT).get_data(as_text=True)  # for signed-in citizens
    assert fill(anonymous).status_code == 403 and not standin.queries
    client = portal_app.test_client()
    sign_in(client, AN, SUBMIT)
    assert "data-population-fill" in client.get(SUBMIT).get_data(as_text=True)

    answer = fill(client)
    assert answer.status_code == 303 and answer.location == SUBMIT
    html = client.get(SUBMIT).get_data(as_text=True)
    assert re.search(rf'name="applicant_address" value="{PERMANENT}"[^>]*readonly data-source="population"', html)
    assert re.search(r'name="applicant_name" value="Nguyễn Văn An"[^>]*data-source="vneid"', html)
    assert "data-population-filled" in html and "1990-05-12" in html
    [asked] = standin.queries
    assert asked["purpose"] == CITIZEN_PURPOSE and asked["personal_id"] == AN
    with portal_app.extensions["motcua"].session_factory() as session:
        row = session.scalars(select(PopulationLookup)).one()
        assert row.outcome == "found" and row.user_id is None and row.citizen_subject
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "population_looked_up")).one()

    sent = post_submit(client, form_fields(html))
    assert sent.status_code == 302, sent.get_data(as_text=True)
    with portal_app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.procedure_code == GPXD)).one()
        assert dossier.applicant["address"] == PERMANENT
        assert dossier.field_sources["address"] == "population" and dossier.field_sources["name"] == "vneid"
        assert {"address", "name"} <= set(dossier.reused_fields)
        assert session.get(PopulationLookup, row.id).dossier_code == dossier.code
    assert "data-population-filled" not in client.get(SUBMIT).get_data(as_text=True)  # used once, for that dossier


def test_an_address_changed_on_the_way_is_not_claimed_and_a_database_down_fills_nothing(
        portal_app: Flask, vneid: StandinProvider, standin: StandinPopulation) -> None:
    client = portal_app.test_client()
    sign_in(client, AN, SUBMIT)
    fill(client)
    fields = form_fields(client.get(SUBMIT).get_data(as_text=True))
    fields["applicant_address"] = "Ấp 1, xã Khác, tỉnh Cà Mau"  # the read-only field, edited by hand
    assert post_submit(client, fields).status_code == 302
    with portal_app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier)).one()
        assert "address" not in (dossier.field_sources or {}) and dossier.field_sources["name"] == "vneid"

    standin.set_mode("fail")
    refused = fill(client)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "data-population-error" in html and "Traceback" not in html
    assert re.search(r'name="applicant_name" value="Nguyễn Văn An"', html)  # the identity still fills in
    assert 'data-source="population"' not in html
