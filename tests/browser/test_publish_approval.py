"""Publishing with a second person's approval, in the browser (MOTCUA_PUBLISH_APPROVAL=1): the designer asks
on the publish page; the provincial leader, told in the notifications, sends it back with a reason; the designer
asks again; the leader approves, and the draft is the version new dossiers take."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.procedures.models import Procedure, ProcedureVersion

from ..conftest import Api
from ..test_reform import HKD, reformed_package
from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def approval(live_server: Any) -> Iterator[None]:
    services = live_server.services()
    before = services.settings
    services.settings = before.with_overrides(publish_approval=True)  # views read it on each request
    yield
    services.settings = before


def current(live_server: Any) -> int:
    with live_server.services().session_factory() as session:
        procedure = session.get(Procedure, HKD)
        return session.get(ProcedureVersion, procedure.current_version_id).number


def ask(page: Any, number: int, note: str) -> None:
    page.goto(f"/designer/{HKD}/versions/{number}/publish")
    page.fill("[data-form=publish-request] textarea[name=note]", note)
    page.click("[data-action=request-approval]")
    expect(page.locator("[data-request=pending]")).to_be_visible()


def test_a_draft_is_published_once_the_leader_approves(page: Any, live_server: Any, approval: None) -> None:
    api = Api(live_server.app.test_client())
    saved = api.post(f"/procedures/{HKD}/drafts", "thietke", json=reformed_package())
    assert saved.status_code == 201, saved.get_json()
    number = saved.get_json()["version"]["number"]

    login(page, "thietke")
    ask(page, number, "Quyết định 9/QĐ-UBND")
    page.goto("/designer/")
    expect(page.locator(f"[data-procedure='{HKD}'] tr[data-version='{number}'] [data-waiting]")).to_be_visible()

    context = page.context.browser.new_context(base_url=live_server.url, locale="vi-VN")  # the second person
    leader = context.new_page()
    login(leader, "lanhdaotinh")
    leader.goto("/notifications/")
    leader.locator("[data-link=publish-request]").first.click()
    expect(leader.locator("[data-page=designer-review] article[data-status=pending]")).to_be_visible()
    leader.fill("[data-form=reject] textarea[name=reason]", "Ghi rõ số quyết định")
    leader.click("[data-form=reject] button[type=submit]")
    expect(leader.locator("[data-page=designer-publish-requests] [data-empty]")).to_be_visible()
    assert current(live_server) == 1

    page.goto(f"/designer/{HKD}/versions/{number}/publish")
    expect(page.locator("[data-request=rejected]")).to_contain_text("Ghi rõ số quyết định")
    ask(page, number, "Quyết định 9/QĐ-UBND ngày 01/12/2026")

    leader.click("[data-nav=publish-requests]")
    leader.click(f"tr[data-version='{number}'] [data-action=review]")
    leader.click("[data-form=approve] button[type=submit]")
    expect(leader.locator("[data-page=designer-publish-requests] [data-empty]")).to_be_visible()
    assert current(live_server) == number
    context.close()
    assert not page.js_errors
