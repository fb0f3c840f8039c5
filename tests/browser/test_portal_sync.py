"""The portal sync in the browser: a leader finds the dossiers the portal refused on /portal-sync (linked from
the header), ticks one and re-sends it; on a dossier page, the sync card and its re-send button."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from engine.sync.delivery import deliver
from tests.conftest import Api
from tests.test_flow import PATHS

from .conftest import login

pytestmark = pytest.mark.browser
PROCEDURE = "ho-kinh-doanh"

class Refused(Exception):
    permanent = True  # the portal answered an error about the data: retrying cannot help


def refusing(payload: dict[str, Any]) -> None:
    """The portal connector's boundary: refuses every message, as the portal does with a missing field."""
    raise Refused("Thiếu trường MaTTHC")


def submit(api: Api) -> str:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": PROCEDURE, "applicant": PATHS[PROCEDURE]["applicant"],
                                                   "data": PATHS[PROCEDURE]["start"]})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])

def test_a_leader_ticks_refused_dossiers_and_sends_them_again(page: Any, live_server: Any) -> None:
    api = Api(live_server.app.test_client())
    first, second = submit(api), submit(api)
    with live_server.services().uow() as uow:
        deliver(uow, refusing)

    login(page, "lanhdao", "/inbox")
    page.click("[data-nav=portal-sync]")
    page.wait_for_selector("[data-page=portal-sync]")
    for code in (first, second):
        row = page.locator(f"tr[data-sync-row='{code}']")
        expect(row).to_contain_text("Đồng bộ lỗi: Thiếu trường MaTTHC")
    page.locator(f"tr[data-sync-row='{second}'] input[type=checkbox]").check()
    page.click("[data-resend-selected]")
    page.wait_for_selector("p.flash")
    expect(page.locator(f"tr[data-sync-row='{second}']")).to_have_count(0)
    expect(page.locator(f"tr[data-sync-row='{first}']")).to_have_count(1)
    assert api.get(f"/dossiers/{second}/portal-sync", "lanhdao").get_json()["state"] == "pending"

    page.goto(f"/dossiers/{first}")
    page.locator("[data-diagram]").scroll_into_view_if_needed()  # drawn when seen: let it settle first
    page.wait_for_selector("[data-diagram][data-ready=true]")
    card = page.locator("[data-portal-sync]")
    expect(card).to_contain_text("Đồng bộ lỗi: Thiếu trường MaTTHC")
    with page.expect_navigation():
        card.locator("[data-portal-resend]").click()
    page.wait_for_selector("p.flash")
    expect(page.locator("[data-portal-sync=pending]")).to_contain_text("Đang chờ đồng bộ")
    assert page.js_errors == []
