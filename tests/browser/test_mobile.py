"""Most citizens submit from a phone: the portal's pages fit a 390-pixel screen without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("path", ["/", "/procedures/gpxd-nha-o", "/procedures/gpxd-nha-o/submit", "/track",
                                  "/login"])
def test_portal_pages_fit_a_phone(browser: Any, live_server: Any, path: str) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("networkidle")  # the submit page draws its form with form-js after load
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
