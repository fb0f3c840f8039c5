"""Issue 16's "Done when", as a citizen and an officer live it (both databases): the citizen signs in with VNeID at
the stand-in provider, finds a procedure with a fee, submits a declaration prefilled from the identity and the
national population database, pays at the stand-in payment platform (its signed callback reaches the live server),
follows the dossier in "Hồ sơ của tôi"; the reception officer receives it and sees the re-used data and the online
payment. Every external system is a real stand-in on the loopback interface."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from connectors.identity.standin import StandinProvider
from connectors.payment.standin import StandinPayment
from connectors.population.standin import StandinPopulation
from connectors.population.standin import start as start_population
from engine.config import PROJECT_ROOT

from ..identity_provider import AN
from .conftest import login
from .test_payment import platform as platform  # the stand-in payment platform, Motcua configured for it
from .test_portal import GPXD, send_gpxd

pytestmark = pytest.mark.browser
PEOPLE = json.loads((PROJECT_ROOT / "connectors" / "population" / "standin_people.json").read_text(encoding="utf-8"))
AN_ADDRESS = next(p for p in PEOPLE["people"] if p["SoDinhDanh"] == AN)["NoiThuongTru"]["DiaChiDayDu"]
FEE = "75.000"  # gpxd-nha-o's fee (procedure.toml), the same online


@pytest.fixture
def population(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinPopulation]:
    standin = start_population(token="khoa-hanh-trinh")
    monkeypatch.setenv("MOTCUA_POPULATION_URL", standin.url)
    monkeypatch.setenv("MOTCUA_POPULATION_TOKEN", "khoa-hanh-trinh")
    yield standin
    standin.stop()


def test_a_citizen_signs_in_submits_pays_and_follows_the_dossier_the_officer_sees_it_all(
        page: Any, browser: Any, live_server: Any, vneid: StandinProvider, platform: StandinPayment,
        population: StandinPopulation, tmp_path: Any) -> None:
    object.__setattr__(live_server.services().settings, "upload_dir", tmp_path)  # keep var/uploads clean

    # 1. Signed in with VNeID at the stand-in provider, the citizen finds a procedure with a fee and submits.
    page.goto("/")
    page.click("[data-vneid-login]")
    expect(page.get_by_text("Máy chủ giả lập VNeID")).to_be_visible()
    page.click(f"[data-account='{AN}']")
    page.wait_for_selector("[data-citizen=person]")
    assert "Nguyễn Văn An" in page.inner_text("header")
    page.fill("#catalogue-search", "giay phep xay dung")
    page.click(f"[data-procedure='{GPXD}'] a")
    expect(page.locator("[data-fee]")).to_contain_text(FEE)
    page.click("[data-submit-link]")
    page.wait_for_selector("[data-declaration][data-ready=true]")
    name = page.locator("input[name=applicant_name]")
    expect(name).to_have_value("Nguyễn Văn An")
    expect(name).to_have_attribute("data-source", "vneid")
    expect(page.locator("input[name=applicant_id_number]")).to_have_value(AN)
    expect(page.locator("[data-vouched]")).to_be_visible()

    # The address from the national population database (the lead's step on the submit page).
    page.click("button[data-population-fill]")  # a small form: the page comes back with the address
    address = page.locator("input[name=applicant_address]")
    expect(address).to_have_value(AN_ADDRESS)  # (VNeID's stand-in account says another address)
    page.wait_for_selector("[data-declaration][data-ready=true]")
    expect(address).to_have_attribute("data-source", "population")
    expect(page.locator("body")).to_contain_text("Từ CSDL quốc gia về dân cư")
    assert [q["personal_id"] for q in population.queries] == [AN], population.queries
    code = send_gpxd(page)
    expect(page.locator("[data-in-my-dossiers]")).to_contain_text("Hồ sơ của tôi")

    # 2. Paid online: the platform's own page, "Thanh toán", back on Motcua once its signed callback arrived.
    expect(page.locator("[data-payment-form] [data-fee-owed]")).to_contain_text(FEE)
    page.click("[data-payment-form] [data-pay-online]")
    page.wait_for_url(f"{platform.url}/pay/*")
    expect(page.locator("[data-amount]")).to_have_text(f"{FEE} đ")
    page.click("[data-pay]")
    page.wait_for_url(f"{live_server.url}/payments/return*")
    expect(page.locator("[data-paid]")).to_be_visible()
    tracking = page.inner_text("[data-tracking]")
    assert [c["status"] for c in platform.callbacks] == [200]

    # 3. "Hồ sơ của tôi": the dossier, its status and the payment; the officer receives it; the citizen sees it.
    page.goto("/my-dossiers")
    row = page.locator(f"[data-dossier='{code}']")
    expect(row).to_have_attribute("data-status", "registered")
    row.locator("a").click()
    expect(page.locator(f"[data-tracked='{code}']")).to_have_attribute("data-status", "registered")
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment-state", "paid")
    expect(page.locator("[data-fee-paid]")).to_contain_text("thanh toán trực tuyến")

    officer = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport={"width": 1366, "height": 900})
    try:
        desk = officer.new_page()
        desk.set_default_timeout(15_000)
        login(desk, "tiepnhan", f"/dossiers/{code}")
        desk.wait_for_selector("[data-page=dossier]")
        desk.locator("[data-action=receive] summary").click()
        desk.click("[data-submit-action=receive]")  # the required documents come ticked
        desk.wait_for_selector("[data-dossier-panel][data-status=received]")

        # 4. The officer sees the re-used data and the online payment (state, MaTraCuuTT, amount).
        expect(desk.locator("[data-field-sources=vneid]")).to_contain_text("Số định danh cá nhân")
        expect(desk.locator("[data-field-sources=population]")).to_contain_text("Địa chỉ")
        expect(desk.locator("[data-field-sources=vneid]")).to_contain_text("Họ và tên")
        expect(desk.locator("[data-fee=paid]")).to_contain_text(FEE)
        payment = desk.locator(f"[data-payments] [data-payment='{tracking}']")
        expect(payment).to_have_attribute("data-state", "paid")
        expect(payment).to_contain_text(FEE)
    finally:
        officer.close()

    page.goto("/my-dossiers")
    expect(page.locator(f"[data-dossier='{code}']")).to_have_attribute("data-status", "received")
    assert page.js_errors == []
