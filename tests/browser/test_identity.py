"""A citizen signs in with VNeID at the stand-in provider (a real OpenID provider on the loopback interface), finds
the submit form prefilled from the identity, submits, and finds the dossier in "Hồ sơ của tôi" (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectors.identity.standin import StandinProvider
from engine.dossiers.models import Dossier

from ..identity_provider import AN
from .test_portal import GPXD, send_gpxd

pytestmark = pytest.mark.browser


def test_a_citizen_signs_in_with_vneid_submits_prefilled_and_finds_it_in_my_dossiers(
        page: Any, live_server: Any, vneid: StandinProvider, tmp_path: Any) -> None:
    object.__setattr__(live_server.services().settings, "upload_dir", tmp_path)  # keep var/uploads clean
    page.goto(f"/procedures/{GPXD}")
    page.click("[data-vneid-login]")
    expect(page.get_by_text("Máy chủ giả lập VNeID")).to_be_visible()  # the stand-in's own login page
    page.click(f"[data-account='{AN}']")
    page.wait_for_selector("[data-citizen=person]")  # back at Motcua, signed in: the header names the citizen
    assert page.url.endswith(f"/procedures/{GPXD}") and "Nguyễn Văn An" in page.inner_text("header")

    page.click("[data-submit-link]")
    page.wait_for_selector("[data-declaration][data-ready=true]")
    name = page.locator("input[name=applicant_name]")
    assert name.input_value() == "Nguyễn Văn An" and name.get_attribute("readonly") is not None
    assert page.input_value("input[name=applicant_id_number]") == AN
    expect(page.locator("[data-vouched]")).to_be_visible()
    code = send_gpxd(page)
    assert len(page.inner_text("[data-pin]")) == 8  # the PIN stays, for tracking without signing in

    page.click("[data-in-my-dossiers] a")
    row = page.locator(f"[data-dossier='{code}']")
    expect(row).to_be_visible()
    assert row.get_attribute("data-status") == "registered"
    row.locator("a").click()
    page.wait_for_selector(f"[data-tracked='{code}']")
    with live_server.services().session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.applicant_key == AN and (dossier.field_sources or {}).get("id_number") == "vneid"
