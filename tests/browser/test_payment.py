"""A citizen pays a dossier's fee online: from the tracking page to the stand-in payment platform's own pay page
and back to Motcua, which shows the payment once the platform's signed callback has arrived."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from connectors.payment.standin import StandinPayment, start

from ..conftest import Api
from ..test_lifecycle import act, submit

pytestmark = pytest.mark.browser
SECRET = "khoa-thanh-toan-trinh-duyet"


@pytest.fixture
def platform(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinPayment]:
    standin = start(secret=SECRET)
    for name, value in {"URL": standin.url, "SECRET": SECRET, "SERVICE_CODE": "G22-MOTCUA",
                        "ACCOUNT": "7111 0000 1234", "BANK": "970415", "ACCOUNT_NAME": "Kho bạc Nhà nước Cà Mau",
                        "CALLBACK_URL": f"{live_server.url}/api/v1/payments/callback",
                        "RETURN_URL": f"{live_server.url}/payments/return"}.items():
        monkeypatch.setenv(f"MOTCUA_PAYMENT_{name}", value)
    yield standin
    standin.stop()


def test_a_citizen_pays_at_the_platform_and_comes_back(page: Any, live_server: Any,
                                                        platform: StandinPayment) -> None:
    api = Api(live_server.app.test_client())
    created = submit(api)
    assert act(api, created["code"], "require_payment", "tiepnhan", amount=100000).status_code == 200
    page.goto(f"/track?code={created['code']}")
    page.fill("input[name=pin]", created["pin"])
    page.click("[data-track-form] button[type=submit]")
    expect(page.locator("[data-fee-owed]")).to_contain_text("100.000")
    page.click("[data-payment-form] [data-pay-online]")
    page.wait_for_url(f"{platform.url}/pay/*")  # the platform's own page: amount, lines, beneficiary
    expect(page.locator("[data-amount]")).to_have_text("100.000 đ")
    expect(page.locator("body")).to_contain_text("Kho bạc Nhà nước Cà Mau")
    page.click("[data-pay]")
    page.wait_for_url(f"{live_server.url}/payments/return*")
    expect(page.locator("[data-paid]")).to_be_visible()
    assert [c["status"] for c in platform.callbacks] == [200]
    page.click("[data-track-link]")
    page.fill("input[name=pin]", created["pin"])
    page.click("[data-track-form] button[type=submit]")
    expect(page.locator("[data-tracked]")).to_have_attribute("data-status", "received")  # resumed
    expect(page.locator("[data-fee-paid]")).to_contain_text("thanh toán trực tuyến")
    assert page.js_errors == []
