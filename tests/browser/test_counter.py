"""A reception officer registers a walk-in at the counter: finds the procedure without diacritics, types the
personal id and confirms what an earlier dossier holds, fills the declaration, ticks the papers handed in with
their kind and count, scans one of them, and prints the receipt listing them (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.dossiers.models import Attachment, Dossier
from tests.conftest import Api
from tests.test_flow import PATHS

from .conftest import login
from .test_portal import fill_declaration, pdf

pytestmark = pytest.mark.browser
GPXD = "gpxd-nha-o"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
APPLICANT = {"name": "Trần Văn Hùng", "id_number": "096085004567", "phone": "0987654321",
             "address": "Ấp Tân Phong, xã Tân Thành, tỉnh Cà Mau"}


def test_a_walk_in_is_registered_with_a_scanned_document_and_gets_the_receipt(page: Any, live_server: Any,
                                                                              tmp_path: Any) -> None:
    object.__setattr__(live_server.services().settings, "upload_dir", tmp_path)  # keep var/uploads clean
    api = Api(live_server.app.test_client())
    earlier = api.post("/dossiers", "tiepnhan", json={"procedure": GPXD, "applicant": APPLICANT,
                                                      "data": PATHS[GPXD]["start"]})
    assert earlier.status_code == 201, earlier.get_json()

    login(page, "tiepnhan")
    page.click("[data-nav=counter]")
    page.fill("#counter-search", "giay phep xay")  # no diacritics
    expect(page.locator(f"[data-procedure='{GPXD}']")).to_be_visible()
    expect(page.locator("[data-procedure='ho-kinh-doanh']")).to_be_hidden()
    page.click(f"[data-procedure='{GPXD}'] a")
    page.wait_for_selector("[data-declaration][data-ready=true]")

    # The personal id brings what the earlier dossier holds; the officer keeps what the citizen confirms.
    page.fill("input[name=applicant_id_number]", APPLICANT["id_number"])
    expect(page.locator("[data-lookup]")).to_be_visible()
    page.uncheck("[data-offer=address]")  # the citizen has moved
    page.click("[data-lookup-use]")
    expect(page.locator("input[name=applicant_name]")).to_have_value(APPLICANT["name"])
    expect(page.locator("input[name=applicant_phone]")).to_have_value(APPLICANT["phone"])
    page.fill("input[name=applicant_address]", "Khóm 2, phường An Xuyên, tỉnh Cà Mau")

    start = PATHS[GPXD]["start"]  # the tick boxes first: form-js applies a typed field's change a moment later
    fill_declaration(page, {k: v for k, v in start.items() if isinstance(v, bool)})
    fill_declaration(page, {k: v for k, v in start.items() if not isinstance(v, bool)})
    page.locator("[data-declaration]").press("Tab")
    # papers handed in: the application (original) scanned; the land certificate a certified copy; the drawings
    page.set_input_files("input[name='file:don-de-nghi']", pdf("đơn đề nghị.pdf"))  # ticks the paper itself
    expect(page.locator("input[name='doc_don-de-nghi']")).to_be_checked()
    page.check("input[name='doc_giay-to-quyen-su-dung-dat']")
    page.select_option("select[name='kind_giay-to-quyen-su-dung-dat']", "certified_copy")
    page.check("input[name='doc_ban-ve-thiet-ke']")
    page.fill("input[name='qty_ban-ve-thiet-ke']", "2")
    page.set_input_files("input[name='file:ban-ve-thiet-ke']",
                         {"name": "bản vẽ.jpg", "mimeType": "image/jpeg", "buffer": JPEG})
    page.check("input[name=result_delivery][value=post]")
    page.click("[data-register]")

    done = page.locator("[data-counter-done]")
    expect(done).to_have_attribute("data-received", "true")
    code = done.get_attribute("data-counter-done")
    pin = page.locator("[data-pin]").inner_text()
    assert len(pin) == 8
    with page.context.expect_page() as opened:
        page.click("[data-print-document=receipt]")
    receipt = opened.value
    blocked: list[str] = []
    receipt.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    receipt.wait_for_load_state()
    rows = receipt.locator("[data-received-document]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Bản chính")
    expect(rows.nth(1)).to_contain_text("Bản sao chứng thực")
    expect(rows.nth(2)).to_contain_text("02")
    body = receipt.locator("body").inner_text()
    assert code in body and pin in body and "Qua dịch vụ bưu chính công ích" in body
    assert f"{live_server.url}/track?code={code}" in body  # the address and port this server answers on
    receipt.click("text=In văn bản")  # the print button's one inline handler is allowed by the page's policy
    assert not blocked and not page.js_errors, blocked + page.js_errors

    with live_server.services().session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.status == "received" and dossier.result_delivery == "post"
        assert dossier.reused_fields == ["name", "phone"]  # the address was typed anew
        assert [(d["code"], d["kind"], d["quantity"]) for d in dossier.received_documents] == [
            ("don-de-nghi", "original", 1), ("giay-to-quyen-su-dung-dat", "certified_copy", 1),
            ("ban-ve-thiet-ke", "copy", 2)]
        scans = session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id)
                                .order_by(Attachment.id)).all()
        assert [(a.document, a.content_type) for a in scans] == [("don-de-nghi", "application/pdf"),
                                                                 ("ban-ve-thiet-ke", "image/jpeg")]
