"""A reception officer granted the population look-up fills the counter's applicant from the national population
database (a real stand-in on loopback), registers, and the dossier records which data came from it (both
databases)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectors.population.standin import start as start_standin
from engine.dossiers.models import Dossier
from engine.people.organisation import create_user
from tests.conftest import PASSWORD
from tests.test_flow import PATHS

from .conftest import login
from .test_portal import fill_declaration

pytestmark = pytest.mark.browser
GPXD = "gpxd-nha-o"


def test_the_counter_fills_the_applicant_from_the_population_database(page: Any, live_server: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    standin = start_standin(token="khoa-web")
    monkeypatch.setenv("MOTCUA_POPULATION_URL", standin.url)
    monkeypatch.setenv("MOTCUA_POPULATION_TOKEN", "khoa-web")
    try:
        with live_server.services().session_factory() as session:
            create_user(session, "tracuu.web", PASSWORD, "Tra Cứu", [("CM-AX", "reception"),
                                                                      ("CM-AX", "population_lookup")])
            session.commit()
        login(page, "tracuu.web")
        page.goto(f"/counter/{GPXD}")
        page.wait_for_selector("[data-declaration][data-ready=true]")
        page.fill("input[name=applicant_id_number]", "001099012345")
        page.fill("[data-population-purpose]", "Tiếp nhận hồ sơ cấp giấy phép xây dựng")
        page.click("[data-population-ask]")
        expect(page.locator("input[name=applicant_name]")).to_have_value("Nguyễn Văn An")
        expect(page.locator("input[name=applicant_address]")).to_have_value(
            "Số 25 đường Phan Ngọc Hiển, phường An Xuyên, tỉnh Cà Mau")
        expect(page.locator("[data-population-found]")).to_contain_text("1990-05-12")
        expect(page.locator("[data-population-found]")).to_contain_text("Nam")
        page.fill("input[name=applicant_phone]", "0912345678")
        start = PATHS[GPXD]["start"]  # the tick boxes first, as tests/browser/test_counter.py does
        fill_declaration(page, {k: v for k, v in start.items() if isinstance(v, bool)})
        fill_declaration(page, {k: v for k, v in start.items() if not isinstance(v, bool)})
        page.locator("[data-declaration]").press("Tab")
        page.click("[data-register]")
        code = page.locator("[data-counter-done]").get_attribute("data-counter-done")
        assert code
        with live_server.services().session_factory() as session:
            dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
            assert dossier.field_sources == {"name": "population", "address": "population"}
        [query] = standin.queries
        assert query["officer"] == "tracuu.web" and query["reference"].startswith("counter:")
        page.goto(f"/dossiers/{code}")
        expect(page.locator("[data-field-sources=population]")).to_contain_text("Họ và tên")
        assert not page.js_errors, page.js_errors
    finally:
        standin.stop()
