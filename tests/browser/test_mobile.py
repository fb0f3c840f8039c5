"""Most citizens submit from a phone: the portal's pages fit a 390-pixel screen without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("path", ["/", "/procedures/gpxd-nha-o", "/procedures/gpxd-nha-o/submit",
                                  "/procedures/ho-kinh-doanh/submit", "/track", "/track/pin", "/login"])
def test_portal_pages_fit_a_phone(browser: Any, live_server: Any, path: str) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("networkidle")  # the submit page draws its form with form-js after load
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # every label and field fits its line: nothing is cut off or runs past the screen's edge
        clipped = page.evaluate("""
            Array.from(document.querySelectorAll('main label, main legend, main input, main select'))
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert clipped == []
    finally:
        context.close()
