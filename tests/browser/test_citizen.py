"""The citizen's return trips in a real browser: a supplement asked, the citizen told by SMS and e-mail (stand-in SMS
gateway, aiosmtpd), following the link, uploading the missing file on the tracking page; reception accepting it on
the dossier page and the clock resuming. And the online submission without JavaScript, in Vietnamese, on a phone."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from playwright.sync_api import expect
from sqlalchemy import select

from connectors.sms.client import HttpSmsClient
from connectors.sms.config import SmsSettings
from connectors.sms.standin import StandinSms, start
from engine.dossiers.models import Attachment, Dossier
from engine.scheduling.delivery import Channels, deliver

from ..conftest import Api
from ..test_flow import PATHS
from .conftest import login

pytestmark = pytest.mark.browser

HKD = "ho-kinh-doanh"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
APPLICANT = {**PATHS[HKD]["applicant"], "email": "minhanh@example.vn"}


class Mailbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=email.policy.default))


@pytest.fixture
def gateways() -> Iterator[tuple[StandinSms, Controller, Mailbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    sms = start()
    yield sms, smtp, box
    sms.stop()
    smtp.stop()


def pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def deliver_all(live_server: Any, sms: StandinSms, smtp: Controller) -> None:
    """One run of the scheduler's delivery job, with the stand-in gateways as the far systems."""
    client = HttpSmsClient(SmsSettings(sms.url, None, "MOTCUA", 5, False))
    with live_server.services().uow() as uow:
        deliver(uow, Channels(smtp_host="127.0.0.1", smtp_port=smtp.port, sms=client.send))


def test_a_citizen_supplements_online_and_reception_accepts(page: Any, live_server: Any, tmp_path: Any,
                                                            gateways: Any) -> None:
    sms, smtp, mailbox = gateways
    object.__setattr__(live_server.services().settings, "upload_dir", tmp_path)
    api = Api(live_server.app.test_client())
    created = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": APPLICANT,
                                                      "data": PATHS[HKD]["start"]}).get_json()
    code, pin = created["code"], created["pin"]

    # Reception asks for a supplement on the dossier page: a document of the list, and the guidance.
    login(page, "tiepnhan", f"/dossiers/{code}")
    page.goto(f"/dossiers/{code}")
    page.click("[data-action=request_supplement] summary")
    form = page.locator("[data-action-form=request_supplement]")
    form.locator("input[name=documents][value=bien-ban-hop-thanh-vien]").check()
    form.locator("textarea[name=guidance]").fill("Nộp bản sao có chứng thực biên bản họp các thành viên.")
    form.locator("[data-submit-action=request_supplement]").click()
    page.wait_for_selector("[data-supplements] [data-supplement='1'][data-state=open]")

    # The citizen is told, by SMS and e-mail, with the link to the tracking page.
    deliver_all(live_server, sms, smtp)
    texts = [m["text"] for m in sms.messages]
    assert any(t.startswith(f"Ho so {code} da duoc tiep nhan") for t in texts)
    [asked] = [t for t in texts if t.startswith(f"Ho so {code} can bo sung")]
    assert "Ban sao bien ban hop thanh vien" in asked and asked.isascii()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert f"Hồ sơ {code} cần bổ sung" in subjects
    link = asked.rsplit(" ", 1)[-1]
    assert urlsplit(link).query == f"code={code}"

    citizen = page.context.browser.new_context(base_url=live_server.url, locale="vi-VN")
    try:
        tab = citizen.new_page()
        tab.goto(f"{urlsplit(link).path}?{urlsplit(link).query}")
        tab.fill("input[name=pin]", pin)
        tab.click("[data-track-form] button[type=submit]")
        situation = tab.locator("[data-situation=supplement]")
        expect(situation).to_be_visible()
        assert "Bản sao biên bản họp thành viên hộ gia đình" in situation.locator("[data-missing]").inner_text()
        assert "có chứng thực" in situation.locator("[data-guidance]").inner_text()
        # nothing chosen: the page says which document is still wanted
        tab.click("[data-send-supplement]")
        expect(tab.locator("[data-error-for='files.bien-ban-hop-thanh-vien']")).to_be_visible()
        tab.set_input_files("[data-upload=bien-ban-hop-thanh-vien] input[type=file]", pdf("biên bản họp.pdf"))
        tab.fill("[data-supplement-form] textarea[name=note]", "Gửi bổ sung biên bản.")
        tab.click("[data-send-supplement]")
        expect(tab.locator("[data-situation=supplement][data-state=submitted]")).to_be_visible()
        assert "biên bản họp.pdf" in tab.locator("[data-sent]").inner_text()
    finally:
        citizen.close()

    # Reception sees the file on the dossier page and accepts: the clock resumes.
    page.goto(f"/dossiers/{code}")
    waiting = page.locator("[data-supplements] [data-supplement='1'][data-state=submitted]")
    expect(waiting).to_be_visible()
    assert waiting.locator("[data-supplement-file]").inner_text() == "biên bản họp.pdf"
    assert "Gửi bổ sung biên bản." in waiting.inner_text()
    waiting.locator("[data-accept-supplement]").click()
    page.wait_for_selector("[data-supplements] [data-supplement='1'][data-state=accepted]")
    with live_server.services().session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert (dossier.status, dossier.paused_at, dossier.supplement_count) == ("received", None, 1)
        files = session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id)).all()
        assert [(f.document, f.supplement_id is not None) for f in files] == [("bien-ban-hop-thanh-vien", True)]
    assert not page.js_errors


def test_the_submission_works_without_javascript(browser: Any, live_server: Any, tmp_path: Any) -> None:
    object.__setattr__(live_server.services().settings, "upload_dir", tmp_path)
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/procedures/{HKD}/submit")
        assert "Đang tải tờ khai" not in page.content()
        page.fill("input[name=applicant_name]", "Nguyễn Thị Minh Anh")
        page.fill("input[name=applicant_id_number]", "096188001234")
        page.fill("input[name=applicant_phone]", "0912345678")
        page.fill("input[name=applicant_address]", "Số 12 đường Lý Thường Kiệt, phường An Xuyên")
        page.select_option("select[name=competent_unit]", "CM-AX")
        page.check("input[name=result_delivery][value=post]")
        start = PATHS[HKD]["start"]
        for key in ("ten_ho_kinh_doanh", "dia_chi_kinh_doanh", "nganh_nghe", "von_kinh_doanh", "so_lao_dong"):
            page.fill(f"[name='data.{key}']", str(start[key]))
        page.check("input[name='data.hinh_thuc_dang_ky'][value=ca_nhan]")
        page.fill("input[name='data.chu_ho_ngay_sinh']", start["chu_ho_ngay_sinh"])
        assert page.locator("[name='data.email']").count() == 0  # the applicant's details are asked once
        # first attempt: only an optional document; the required one is missing
        page.set_input_files("input[name='file:giay-to-phap-ly-ca-nhan']", pdf("cccd.pdf"))
        page.click("[data-send]")
        expect(page.locator("[data-error-for='files.giay-de-nghi']")).to_be_visible()
        assert page.input_value("[name='data.ten_ho_kinh_doanh']") == start["ten_ho_kinh_doanh"]
        expect(page.locator("[data-kept=giay-to-phap-ly-ca-nhan]")).to_be_visible()  # not to be chosen again
        page.set_input_files("input[name='file:giay-de-nghi']", pdf("giấy đề nghị.pdf"))
        page.click("[data-send]")
        page.wait_for_selector("[data-receipt]")
        code = page.inner_text("[data-code]")
    finally:
        context.close()
    with live_server.services().session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.result_delivery == "post" and dossier.data["von_kinh_doanh"] == start["von_kinh_doanh"]
        assert dossier.data["chu_ho_ten"] == "Nguyễn Thị Minh Anh" and "email" not in dossier.data  # empty: fine
        documents = sorted(session.scalars(select(Attachment.document).where(Attachment.dossier_id == dossier.id)))
        assert documents == ["giay-de-nghi", "giay-to-phap-ly-ca-nhan"]


def test_browser_messages_and_the_date_picker_are_vietnamese(page: Any) -> None:
    page.goto(f"/procedures/{HKD}/submit")
    page.wait_for_selector("[data-declaration][data-ready=true]")
    page.fill("input[name=applicant_name]", "Nguyễn Thị Minh Anh")
    page.fill("input[name=applicant_id_number]", "096188001234")
    page.fill("input[name=applicant_phone]", "0912345678")
    page.fill("input[name=applicant_address]", "Phường An Xuyên")
    page.select_option("select[name=competent_unit]", "CM-AX")
    page.click("[data-send]")  # the declaration is empty: form-js says so, in Vietnamese
    errors = page.locator("[data-declaration] .fjs-form-field-error")
    expect(errors.first).to_be_visible()
    shown = " ".join(errors.all_inner_texts())
    assert "Bắt buộc nhập." in shown and "Field" not in shown and "^" not in shown
    date = page.locator("[data-declaration] input[data-input]")
    expect(date).to_have_attribute("placeholder", "ngày/tháng/năm")
    date.click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    assert "Tháng" in calendar.inner_text() and "T2" in calendar.locator(".flatpickr-weekdays").inner_text()
    date.fill("14/05/1988")
    date.press("Enter")
    page.locator("[data-declaration] input[id$='-Field_ten_ho_kinh_doanh']").click()
    assert date.input_value() == "14/05/1988"
    assert not page.js_errors
