"""Signing in and out in the browser; the language switch; CSRF on forms."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


def test_sign_in_lands_on_the_role_page_and_sign_out(page: Any) -> None:
    page.goto("/inbox")
    assert "/login" in page.url  # a visitor is sent to sign in, and comes back after
    page.fill("input[name=username]", "tiepnhan")
    page.fill("input[name=password]", "sai-mat-khau")
    page.click("button[type=submit]")
    expect(page.locator("[data-error=wrong-credentials]")).to_be_visible()
    login(page, "tiepnhan", "/inbox")
    assert page.url.endswith("/inbox")
    page.click("text=Đăng xuất")
    page.wait_for_selector("text=Đăng nhập")
    page.goto("/inbox")
    assert "/login" in page.url
    assert not page.js_errors


def test_language_switch_to_english_and_back(page: Any) -> None:
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_text("Officer sign-in")
    page.click("a[hreflang=vi]")
    expect(page.locator("h1")).to_have_text("Đăng nhập cán bộ")


def test_a_form_posted_without_the_csrf_token_is_refused(page: Any, live_server: Any) -> None:
    login(page, "tiepnhan")
    response = page.request.post(f"{live_server.url}/logout", form={"csrf_token": "forged"})
    assert response.status == 403
    page.goto("/inbox")
    assert page.url.endswith("/inbox")  # still signed in
