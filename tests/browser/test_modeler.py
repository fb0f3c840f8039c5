"""The modeler as a Vietnamese designer uses it, in real Chromium: bpmn-js speaks Vietnamese, a step's budget is
entered in working days and hours, an element template fills a step in, unsaved changes are not lost without a
warning, and the diff page colours the steps on both diagrams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect

from engine.time.working_time import parse_budget

from ..conftest import Api
from ..test_reform import HKD, reformed_package
from .conftest import login
from .test_designer import NS, editable, open_modeler, prop, saved, select_element, set_field, stored

pytestmark = pytest.mark.browser


def test_the_palette_context_pad_and_panel_speak_vietnamese(page: Any, live_server: Any) -> None:
    current, _versions = stored(live_server)
    open_modeler(page, current)
    expect(page.locator(".djs-palette [data-action='create.start-event']")).to_have_attribute(
        "aria-label", "Tạo sự kiện bắt đầu")
    expect(page.locator(".djs-palette [data-action='hand-tool']")).to_have_attribute(
        "aria-label", "Công cụ bàn tay (kéo sơ đồ)")
    # the element templates are in the palette too
    expect(page.locator(".djs-palette [data-action='motcua-template-receive']")).to_have_attribute(
        "aria-label", "Mẫu: Tiếp nhận (làn reception, PT4H)")
    select_element(page, "Task_ThamDinh")
    expect(page.locator(".djs-context-pad [data-action='append.append-task']")).to_have_attribute(
        "title", "Thêm bước tiếp theo")
    expect(page.locator(".djs-context-pad [data-action='delete']")).to_have_attribute("title", "Xoá")
    expect(page.locator("[data-group-id='group-general'] .bio-properties-panel-group-header-title")).to_have_text(
        "Chung")
    page.locator(".djs-context-pad [data-action='replace']").click()  # "change element": bpmn-js's own entries
    expect(page.locator(".djs-popup [data-id='replace-with-service-task']")).to_contain_text(
        "Bước dịch vụ (tự động)")
    page.keyboard.press("Escape")
    page.goto(page.url + "?lang=en")  # English: bpmn-js's own words
    page.wait_for_selector("[data-page=designer-modeler][data-ready=true]")
    expect(page.locator(".djs-palette [data-action='create.start-event']")).to_have_attribute(
        "aria-label", "Create start event")
    expect(page.locator(".djs-palette [data-action='motcua-template-receive']")).to_have_attribute(
        "aria-label", "Template: Receive (lane reception, PT4H)")
    page.goto(page.url.split("?")[0] + "?lang=vi")
    assert not page.js_errors


def test_a_budget_entered_in_working_days_and_hours(page: Any, live_server: Any) -> None:
    open_modeler(page, editable(live_server))
    select_element(page, "Task_KiemTraThucDia")  # P3D
    days = page.locator("#bio-properties-panel-motcua-budgetDays")
    hours = page.locator("#bio-properties-panel-motcua-budgetHours")
    iso = page.locator("#bio-properties-panel-motcua-timeBudget")
    assert (days.input_value(), hours.input_value(), iso.input_value()) == ("3", "", "P3D")
    set_field(page, "budgetDays", "2")
    set_field(page, "budgetHours", "4")
    expect(iso).to_have_value("P2DT4H")  # the ISO 8601 field follows
    set_field(page, "budgetHours", "abc")
    expect(page.locator(".bio-properties-panel-error").first).to_be_visible()  # refused, said at once
    expect(iso).to_have_value("P2DT4H")
    set_field(page, "budgetHours", "4")
    set_field(page, "timeBudget", "P1DT2H")  # and ISO 8601 is still accepted, the days and hours follow
    expect(days).to_have_value("1")
    expect(hours).to_have_value("2")
    set_field(page, "budgetDays", "2")
    set_field(page, "budgetHours", "4,5")
    expect(iso).to_have_value("P2DT4H30M")
    set_field(page, "budgetHours", "4")
    page.fill("[name=draft-note]", "Kiểm tra thực địa: 2 ngày 4 giờ")
    page.click("[data-action=save]")
    saved(page)
    draft = int(page.locator("[data-page=designer-modeler]").get_attribute("data-number"))
    budget = prop(stored(live_server)[1][draft], "Task_KiemTraThucDia", "timeBudget")
    assert budget == "P2DT4H"
    assert parse_budget(budget, timedelta(hours=8)) == timedelta(hours=20)  # what the engine counts
    assert not page.js_errors


def test_the_receive_template_fills_a_step_in(page: Any, live_server: Any) -> None:
    open_modeler(page, editable(live_server))
    select_element(page, "Task_DuThao")  # a specialist's step, in the specialist lane
    page.locator(".djs-context-pad [data-action='replace']").click()
    entry = page.locator(".djs-popup [data-id='motcua-template-receive']")
    expect(entry).to_contain_text("Mẫu: Tiếp nhận")
    expect(page.locator(".djs-popup")).to_contain_text("Mẫu bước thường dùng")  # its own group
    entry.click()  # the step stays selected (clicking it again would unselect it)
    expect(page.locator("#bio-properties-panel-motcua-timeBudget")).to_have_value("PT4H")
    expect(page.locator("#bio-properties-panel-motcua-budgetHours")).to_have_value("4")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("Tiếp nhận, kiểm tra hồ sơ")
    page.click("[data-action=validate]")
    expect(page.locator("[data-problems-summary]")).not_to_have_text("")
    page.fill("[name=draft-note]", "bước dự thảo thành tiếp nhận")
    page.click("[data-action=save]")
    saved(page)
    draft = int(page.locator("[data-page=designer-modeler]").get_attribute("data-number"))
    version = stored(live_server)[1][draft]
    assert prop(version, "Task_DuThao", "timeBudget") == "PT4H"
    root = etree.fromstring(version.files["process.bpmn"].encode("utf-8"))
    task = root.xpath("//bpmn:userTask[@id='Task_DuThao']", namespaces=NS)[0]
    assert task.get("name") == "Tiếp nhận, kiểm tra hồ sơ"
    assert "Kiểm tra thành phần" in task.xpath("string(.//spiffworkflow:instructionsForEndUser)", namespaces=NS)
    # moved into the lane of its role
    assert root.xpath("//bpmn:lane[bpmn:flowNodeRef='Task_DuThao']/@name", namespaces=NS) == ["reception"]
    # the "return" template's form exists in this package (gpxd-nhan-ket-qua): it is picked
    select_element(page, "Task_ThamDinh")
    page.locator(".djs-context-pad [data-action='replace']").click()
    page.locator(".djs-popup [data-id='motcua-template-return']").click()
    expect(page.locator("#bio-properties-panel-motcua-formKey")).to_have_value("gpxd-nhan-ket-qua")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("Nhận kết quả, trả cho người nộp hồ sơ")
    page.keyboard.press("Control+Z")  # one undo takes the whole template back
    select_element(page, "Task_DuThao")
    select_element(page, "Task_ThamDinh")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("Thẩm định hồ sơ")
    expect(page.locator("#bio-properties-panel-motcua-formKey")).to_have_value("gpxd-tham-dinh")
    expect(page.locator("#bio-properties-panel-motcua-timeBudget")).to_have_value("P4D")
    assert not page.js_errors


def test_leaving_with_unsaved_changes_asks_first(page: Any, live_server: Any) -> None:
    open_modeler(page, editable(live_server))
    dialogs: list[tuple[str, str]] = []

    def answer(dialog: Any) -> None:
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("[data-form]").first.click()  # nothing edited: the link just opens the form editor
    page.wait_for_selector("[data-page=designer-form][data-ready=true]")
    assert dialogs == []
    page.go_back()
    page.wait_for_selector("[data-page=designer-modeler][data-ready=true]")
    select_element(page, "Task_ThamDinh")
    set_field(page, "budgetDays", "5")
    page.locator("[data-form]").first.click()  # an in-page link: asked, and staying keeps the change
    assert dialogs == [("confirm", "Có thay đổi chưa lưu. Rời trang và bỏ các thay đổi này?")]
    assert page.locator("[data-page=designer-modeler]").get_attribute("data-dirty") == "true"
    expect(page.locator("#bio-properties-panel-motcua-budgetDays")).to_have_value("5")
    page.close(run_before_unload=True)  # closing the tab: the browser's own prompt, dismissed: the tab stays
    page.wait_for_timeout(300)
    assert dialogs[1][0] == "beforeunload" and not page.is_closed()

    page.fill("[name=draft-note]", "thẩm định 5 ngày")
    page.click("[data-action=save]")  # saved: no more warnings
    saved(page)
    assert page.locator("[data-page=designer-modeler]").get_attribute("data-dirty") is None
    page.locator("[data-form=gpxd-tham-dinh]").click()
    page.wait_for_selector("[data-page=designer-form][data-ready=true]")
    assert len(dialogs) == 2

    # the form editor too
    page.locator(".fjs-editor-container .fjs-form-field-textarea").first.click()
    label = page.locator("#bio-properties-panel-label")
    if not label.is_visible():
        page.locator("[data-group-id=group-general] .bio-properties-panel-group-header").first.click()
    label.fill("Nhãn mới")
    label.press("Tab")
    page.wait_for_timeout(400)  # form-js commits after its debounce
    page.locator("[data-link=modeler]").click()
    assert dialogs[2] == ("confirm", "Có thay đổi chưa lưu. Rời trang và bỏ các thay đổi này?")
    assert page.locator("[data-page=designer-form]").count() == 1
    assert not page.js_errors


def test_the_diff_is_drawn_on_both_diagrams(page: Any, live_server: Any) -> None:
    api = Api(live_server.app.test_client())
    resp = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package())
    assert resp.status_code == 201, resp.get_json()
    draft = resp.get_json()["version"]["number"]
    login(page, "thietke")
    page.goto(f"/designer/{HKD}/diff?from=1&to={draft}")
    old = page.locator("[data-diagram=old][data-ready=true]")
    new = page.locator("[data-diagram=new][data-ready=true]")
    old.wait_for()
    new.wait_for()
    removed = old.locator(".djs-element.diff-removed[data-element-id=Task_NhanKetQua]")
    expect(removed).to_be_visible()
    stroke = "el => getComputedStyle(el.querySelector('.djs-visual > :first-child')).stroke"
    assert removed.evaluate(stroke) == "rgb(197, 34, 31)"  # red
    changed = new.locator(".djs-element.diff-changed[data-element-id=Task_PheDuyet]")
    assert changed.evaluate(stroke) == "rgb(217, 142, 4)"  # amber
    assert new.locator("[data-element-id=Task_NhanKetQua]").count() == 0
    assert new.locator(".diff-removed").count() == 0 and old.locator(".diff-added").count() == 0
    expect(page.locator("[data-legend]")).to_contain_text("Bước thêm mới")
    page.goto(f"/designer/{HKD}/diff?from={draft}&to=1")  # the other way round: the step comes back, green
    added = page.locator("[data-diagram=new][data-ready=true] .djs-element.diff-added[data-element-id=Task_NhanKetQua]")
    expect(added).to_be_visible()
    assert added.evaluate(stroke) == "rgb(30, 142, 62)"
    assert not page.js_errors
