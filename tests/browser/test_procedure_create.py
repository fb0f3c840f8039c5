"""A procedure from nothing, all in the browser (the issue's "done when"): a designer creates it from the
one-stop template, sets its fee, documents and legal time per channel on the "Legal facts" page, saves, opens it
in the modeler, asks for publication; a second person (another reform officer) approves, which publishes it;
a citizen finds it on the portal, sees the online terms, and submits a dossier that takes the online channel's
legal time and fee. No file is touched on the way."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.people.organisation import known_roles
from engine.procedures.models import Procedure, ProcedureVersion
from engine.reform.drafts import package_of
from engine.reform.validation import has_errors, validate_package

from .conftest import login
from .test_portal import PDF
from .test_publish_approval import approval  # noqa: F401  (the fixture: MOTCUA_PUBLISH_APPROVAL=1)

pytestmark = pytest.mark.browser
CODE = "xac-nhan-cu-tru-thu"


def versions(live_server: Any) -> list[ProcedureVersion]:
    with live_server.services().session_factory() as session:
        rows = list(session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == CODE)
                                    .order_by(ProcedureVersion.number)))
        session.expunge_all()
        return rows


def current(live_server: Any) -> int | None:
    with live_server.services().session_factory() as session:
        procedure = session.get(Procedure, CODE)
        return session.get(ProcedureVersion, procedure.current_version_id).number if procedure.current_version_id \
            else None


@pytest.mark.usefixtures("approval")
def test_a_procedure_from_nothing_to_a_citizens_dossier(page: Any, live_server: Any) -> None:
    login(page, "thietke", "/designer/")
    page.click("[data-action=new-procedure]")
    page.wait_for_selector("[data-page=designer-new]")
    page.fill("[name=code]", CODE)
    page.fill("[name=name_vi]", "Xác nhận thông tin cư trú (thử)")
    page.fill("[name=name_en]", "Residence confirmation (trial)")
    page.select_option("[name=level]", "commune")
    page.fill("[name=authority_vi]", "Công an cấp xã")
    page.fill("[name=authority_en]", "Commune police")
    page.fill("[name=legal_time]", "3")
    page.fill("[name=legal_source]", "Điều 17 Thông tư 55/2021/TT-BCA")
    page.fill("[name=share_appraise]", "50")  # the shares are the designer's: 10/50/30/10
    page.fill("[name=share_approve]", "30")
    page.click("[data-form=new-procedure] button[type=submit]")

    page.wait_for_selector("[data-page=designer-legal-facts]")
    page.fill("[name=national_code]", "1.004194")
    page.fill("[name=fee_amount]", "20000")
    page.fill("[name=online_value]", "2")
    page.select_option("[name=online_unit]", "working_days")
    page.fill("[name=online_fee]", "10000")
    page.fill("[name=postal_value]", "20")
    page.select_option("[name=postal_unit]", "working_hours")
    page.fill("[name=postal_cutoff]", "15:00")
    row = page.locator("[data-document-row='1']")  # the first empty row adds a document
    row.locator("[name='doc-1-code']").fill("so-ho-khau")
    row.locator("[name='doc-1-name']").fill("Giấy tờ chứng minh chỗ ở hợp pháp")
    row.locator("[name='doc-1-copies']").fill("1")
    row.locator("[name='doc-1-kind']").select_option("certified_copy")
    row.locator("[name='doc-1-required']").select_option("no")
    row.locator("[name='doc-1-condition']").fill("Khi thông tin chưa có trong Cơ sở dữ liệu về cư trú")
    row.locator("[name='doc-1-form']").fill("CT01")
    page.click("[data-add-row='.documents']")  # a third new row, without saving first
    added = page.locator("[data-document-row='3']")
    expect(added.locator("[name='doc-3-copies']")).to_have_value("1")
    added.locator("[name='doc-3-code']").fill("giay-uy-quyen")
    added.locator("[name='doc-3-name']").fill("Văn bản ủy quyền (khi nhờ người khác nộp)")
    added.locator("[name='doc-3-required']").select_option("no")
    page.fill("[name='src-1-number']", "55/2021/TT-BCA")
    page.fill("[name='src-1-title']", "Thông tư quy định chi tiết Luật Cư trú")
    # a wrong value first: the form says where, nothing is stored
    page.fill("[name=fee_amount]", "hai mươi nghìn")
    page.click("[data-form=legal-facts] button[type=submit]")
    expect(page.locator("[data-error-for=fee_amount]")).to_be_visible()
    assert len(versions(live_server)) == 1
    page.fill("[name=fee_amount]", "20000")
    page.click("[data-form=legal-facts] button[type=submit]")
    page.wait_for_selector("[data-page=designer-legal-facts]")
    expect(page.locator("[name=online_fee]")).to_have_value("10000")
    expect(page.locator("[name='doc-1-code']")).to_have_value("so-ho-khau")

    stored = versions(live_server)
    assert [v.number for v in stored] == [1] and stored[-1].status == "draft"  # the draft, edited in place
    meta = stored[-1].meta
    assert meta["national_code"] == "1.004194" and meta["fee"]["amount"] == 20000
    assert meta["channels"]["online"] == {"legal_time": {"value": 2, "unit": "working_days"},
                                          "fee": {"amount": 10000, "note": ""}}
    assert meta["channels"]["postal"]["legal_time"] == {"value": 20, "unit": "working_hours", "cutoff": "15:00"}
    assert meta["documents"][1]["kind"] == "certified_copy" and not meta["documents"][1]["required"]
    assert [d["code"] for d in meta["documents"]][1:] == ["so-ho-khau", "giay-uy-quyen"]
    assert 'value="PT12H"' in stored[-1].files["process.bpmn"]  # appraise: 50% of 3 days of 8 hours
    with live_server.services().session_factory() as session:
        assert session.get(Procedure, CODE).current_version_id is None  # a draft, not yet published
        findings = validate_package(package_of(stored[-1]), known_roles(session))
    assert not has_errors(findings), [f.message_en for f in findings]
    assert meta["process_id"] and f"{CODE}-nop-ho-so" in stored[-1].forms  # a submission form

    page.click("[data-action=open]")
    page.wait_for_selector("[data-page=designer-modeler][data-ready=true]")
    expect(page.locator(".djs-element[data-element-id='Task_ThamDinh']").first).to_be_visible()
    page.goto("/designer/")
    expect(page.locator(f"[data-procedure='{CODE}'] tr[data-version='1'] [data-status=draft]")).to_be_visible()

    # Publishing needs a second person: the designer asks, another reform officer approves.
    page.goto(f"/designer/{CODE}/versions/1/publish")
    page.fill("[data-form=publish-request] textarea[name=note]", "Quyết định 12/QĐ-UBND ngày 01/12/2026")
    page.click("[data-action=request-approval]")
    expect(page.locator("[data-request=pending]")).to_be_visible()
    assert current(live_server) is None
    context = page.context.browser.new_context(base_url=live_server.url, locale="vi-VN")
    second = context.new_page()
    login(second, "caicach", "/designer/publish-requests")
    second.click(f"tr[data-procedure='{CODE}'][data-version='1'] [data-action=review]")
    second.click("[data-form=approve] button[type=submit]")
    expect(second.locator("[data-page=designer-publish-requests] [data-empty]")).to_be_visible()
    context.close()
    assert current(live_server) == 1

    # A citizen finds it, sees each channel's terms, and submits online.
    citizen = page.context.browser.new_context(base_url=live_server.url, locale="vi-VN").new_page()
    citizen.goto("/")
    citizen.fill("#catalogue-search", "xac nhan thong tin cu tru")
    citizen.click(f"[data-procedure='{CODE}'] a")
    expect(citizen.locator("[data-channel=online]")).to_contain_text("2 ngày làm việc")
    expect(citizen.locator("[data-channel=online]")).to_contain_text("10.000")
    expect(citizen.locator("[data-channel=postal]")).to_contain_text("20 giờ làm việc")
    expect(citizen.locator("[data-document=so-ho-khau] [data-kind=certified_copy]")).to_be_visible()
    citizen.click("[data-submit-link]")
    citizen.wait_for_selector("[data-declaration][data-ready=true]")
    citizen.fill("input[name=applicant_name]", "Lê Thị Hồng")
    citizen.fill("input[name=applicant_id_number]", "096190001234")
    citizen.fill("input[name=applicant_phone]", "0912345678")
    citizen.fill("input[name=applicant_address]", "Khóm 5, phường An Xuyên, tỉnh Cà Mau")
    if citizen.locator("select[name=competent_unit]").count():
        citizen.select_option("select[name=competent_unit]", "CM-AX")
    citizen.locator("[data-declaration] textarea").first.fill("Xác nhận nơi cư trú để bổ sung hồ sơ xin việc.")
    citizen.set_input_files("input[name='file:don-de-nghi']",  # the template's one required document
                            {"name": "đơn đề nghị.pdf", "mimeType": "application/pdf", "buffer": PDF})
    citizen.click("[data-send]")
    citizen.wait_for_selector("[data-receipt], [data-errors]")
    assert citizen.locator("[data-receipt]").count(), citizen.locator("[data-error-for]").evaluate_all(
        "els => els.map(e => e.dataset.errorFor + ': ' + e.textContent)")
    code = citizen.inner_text("[data-code]")
    with live_server.services().session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.procedure_code == CODE and dossier.channel == "online"
        assert dossier.fee_amount == 10000  # the online channel's fee, not the default 20,000
        assert dossier.status == "registered"  # waiting at the commune's reception desk
    assert not page.js_errors
