"""The procedure designer in the browser: change a step's time budget in the modeler's properties panel, save a
draft and publish it; a broken change is shown on its element and cannot be published; the review pages."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect
from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.procedures.models import Procedure, ProcedureVersion

from ..conftest import Api
from ..test_lifecycle import submit
from ..test_reform import step
from .conftest import login

pytestmark = pytest.mark.browser
CODE = "gpxd-nha-o"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def stored(live_server: Any) -> tuple[int, dict[int, ProcedureVersion]]:
    """The current version number and every version of the procedure, read through the engine's models."""
    with live_server.services().session_factory() as session:
        procedure = session.get(Procedure, CODE)
        rows = {v.number: v for v in session.scalars(select(ProcedureVersion)
                                                     .where(ProcedureVersion.procedure_code == CODE))}
        current = next(n for n, v in rows.items() if v.id == procedure.current_version_id)
        session.expunge_all()
        return current, rows


def editable(live_server: Any) -> int:
    """The version a designer opens to change the procedure: its open draft (a save edits it in place; saving
    over the published version while a draft is open is refused), else the current version."""
    current, rows = stored(live_server)
    newest = max(rows)
    return newest if rows[newest].status == "draft" else current


def saved(page: Any) -> None:
    """Wait for a save to land: the page is a draft and no longer has unsaved changes (the badge alone says
    nothing when the page already showed the open draft)."""
    page.wait_for_selector("[data-status-badge] [data-status=draft]")
    expect(page.locator("[data-page=designer-modeler]")).not_to_have_attribute("data-dirty", "true")


def prop(version: ProcedureVersion, element: str, name: str) -> str | None:
    root = etree.fromstring(version.files["process.bpmn"].encode("utf-8"))
    values = root.xpath(f"//bpmn:userTask[@id='{element}']/bpmn:extensionElements/spiffworkflow:properties/"
                        f"spiffworkflow:property[@name='{name}']/@value", namespaces=NS)
    return values[0] if values else None


def open_modeler(page: Any, number: int) -> None:
    login(page, "thietke", "/designer/")
    page.locator(f"[data-procedure='{CODE}'] tr[data-version='{number}'] [data-action=open]").click()
    page.wait_for_selector("[data-page=designer-modeler][data-ready=true]")


def select_element(page: Any, element_id: str) -> None:
    page.locator(f".djs-element[data-element-id='{element_id}']").first.click()
    page.wait_for_selector("#bio-properties-panel-motcua-timeBudget")


def set_field(page: Any, entry: str, value: str) -> None:
    field = page.locator(f"#bio-properties-panel-motcua-{entry}")
    field.fill(value)
    field.press("Tab")  # the panel debounces typing; leaving the field commits it


def test_designer_shortens_a_step_budget_and_publishes(page: Any, live_server: Any) -> None:
    before, versions_before = stored(live_server)
    assert prop(versions_before[before], "Task_ThamDinh", "timeBudget") == "P4D"
    open_modeler(page, before)
    select_element(page, "Task_ThamDinh")
    assert page.locator("#bio-properties-panel-motcua-timeBudget").input_value() == "P4D"
    # empty escalation fields show what procedure.toml says ([escalation] warn_before_hours = 8)
    warn = page.locator("#bio-properties-panel-motcua-warnBeforeHours")
    assert warn.input_value() == "" and warn.get_attribute("placeholder") == "8"
    select_element(page, "Task_PheDuyet")  # its own [escalation.steps.Task_PheDuyet] says 4 and 4
    expect(warn).to_have_attribute("placeholder", "4")
    expect(page.locator("#bio-properties-panel-motcua-reescalateAfterHours")).to_have_attribute("placeholder", "4")
    select_element(page, "Task_ThamDinh")
    set_field(page, "timeBudget", "P3D")
    set_field(page, "warnBeforeHours", "6")  # the escalation rule, edited in the diagram itself
    page.fill("[name=draft-note]", "Rút ngắn thẩm định còn 3 ngày")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-status-badge] [data-status=draft]")
    draft = int(page.locator("[data-page=designer-modeler]").get_attribute("data-number"))
    assert draft > before and page.url.endswith(f"/designer/{CODE}/versions/{draft}")
    assert page.locator("[data-problems-summary]").get_attribute("data-errors") == "0"

    page.click("[data-action=publish]")  # without a note: refused in the page
    expect(page.locator("[data-messages]")).to_have_text("Nhập ghi chú công bố (lý do thay đổi).")
    page.fill("[name=publish-note]", "Quyết định 12/QĐ-UBND: thẩm định 3 ngày")
    page.click("[data-action=publish]")
    page.wait_for_selector("[data-status-badge] [data-status=current]")

    current, versions_after = stored(live_server)
    assert current == draft
    new = versions_after[draft]
    assert new.status == "published" and new.note == "Quyết định 12/QĐ-UBND: thẩm định 3 ngày"
    assert prop(new, "Task_ThamDinh", "timeBudget") == "P3D"
    assert prop(new, "Task_ThamDinh", "warnBeforeHours") == "6"
    assert prop(new, "Task_KiemTraThucDia", "timeBudget") == "P3D"  # the other steps untouched
    assert "spiffworkflow:instructionsForEndUser" in new.files["process.bpmn"]  # extensions round-trip
    old = versions_after[before]
    assert old.files == versions_before[before].files and prop(old, "Task_ThamDinh", "timeBudget") == "P4D"

    page.goto("/designer/")  # the list shows the new current version with who published it, and why
    row = page.locator(f"[data-procedure='{CODE}'] tr[data-version='{draft}']")
    assert row.get_attribute("data-status") == "current"
    assert "Quyết định 12/QĐ-UBND" in row.inner_text() and "Thietke" in row.inner_text()
    assert page.locator(f"[data-procedure='{CODE}'] tr[data-version='{before}']").get_attribute(
        "data-status") == "published"
    assert not page.js_errors


def test_a_broken_change_is_shown_on_its_element_and_not_published(page: Any, live_server: Any) -> None:
    before, _versions = stored(live_server)
    open_modeler(page, before)
    select_element(page, "Task_KiemTraThucDia")
    set_field(page, "timeBudget", "3 ngày")
    expect(page.locator(".bio-properties-panel-error").first).to_be_visible()  # the panel says so at once
    page.click("[data-action=validate]")
    badge = page.locator("[data-problem-for=Task_KiemTraThucDia]")
    badge.wait_for()
    expect(badge).to_be_visible()
    item = page.locator("[data-problems] li[data-code=step-bad-budget]")
    assert item.get_attribute("data-element") == "Task_KiemTraThucDia"
    page.locator(".djs-element[data-element-id='Task_ThamDinh']").first.click()
    item.click()  # a problem in the list selects its element
    page.wait_for_function("document.querySelector('#bio-properties-panel-motcua-timeBudget').value === '3 ngày'")

    page.fill("[name=draft-note]", "thử thời hạn sai")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-status-badge] [data-status=draft]")
    draft = int(page.locator("[data-page=designer-modeler]").get_attribute("data-number"))
    page.fill("[name=publish-note]", "không được công bố")
    page.click("[data-action=publish]")
    page.wait_for_selector("[data-messages].flash-error")
    expect(page.locator("[data-messages]")).to_have_text("Không thể công bố: phiên bản còn lỗi.")
    expect(page.locator("[data-problem-for=Task_KiemTraThucDia]")).to_be_visible()
    expect(page.locator("[data-status-badge] [data-status=draft]")).to_be_visible()
    current, versions_after = stored(live_server)
    assert current == before and versions_after[draft].status == "draft"

    page.goto(f"/designer/{CODE}/versions/{draft}/publish")  # the server-side publish page refuses too
    assert page.locator("[data-form=publish] button[type=submit]").is_disabled()
    expect(page.locator(".problems li[data-element=Task_KiemTraThucDia]")).to_be_visible()
    page.evaluate("document.querySelector('[data-form=publish] button').disabled = false;"
                  "document.querySelector('[data-form=publish] textarea').required = false")
    page.click("[data-form=publish] button[type=submit]")  # no note: the field says so
    expect(page.locator("[data-error-for=note]")).to_have_text("Nhập ghi chú công bố (lý do thay đổi).")
    page.evaluate("document.querySelector('[data-form=publish] button').disabled = false")
    page.fill("[data-form=publish] textarea[name=note]", "cố công bố")
    page.click("[data-form=publish] button[type=submit]")  # the engine refuses a draft with errors
    expect(page.locator("[data-error-for=problems]")).to_be_visible()
    assert page.locator("[data-form=publish] textarea[name=note]").input_value() == "cố công bố"  # kept
    assert stored(live_server)[0] == before
    assert not page.js_errors


def test_review_pages_diff_what_if_and_migrate(page: Any, live_server: Any) -> None:
    current, versions = stored(live_server)
    first = min(versions)
    api = Api(live_server.app.test_client())
    dossier = submit(api, CODE)["code"]  # a running dossier, on whatever version is current now
    login(page, "thietke")
    page.goto(f"/designer/{CODE}/diff?from={first}&to={current}")
    assert current != first  # the first test published a second version
    expect(page.locator("[data-diff] tr[data-step=Task_ThamDinh][data-change=budget_changed]")).to_be_visible()
    page.goto(f"/designer/{CODE}/diff?from=abc")
    expect(page.locator("[data-error-for=from]")).to_be_visible()

    page.goto(f"/designer/{CODE}/versions/{current}/what-if?months=6")
    expect(page.locator("[data-figures] [data-kpi=dossiers]")).to_have_text("0")
    finished = submit(api)["code"]  # a household-business dossier taken to its end, for the figures
    while api.get(f"/dossiers/{finished}", "tatca").get_json()["open_tasks"]:
        step(api, finished)
    page.goto("/designer/ho-kinh-doanh/versions/1/what-if")
    expect(page.locator("[data-figures] [data-kpi=dossiers]")).to_have_text("1")
    assert page.locator("tr[data-step=Task_ThamDinh] td").first.inner_text() == "Thẩm định hồ sơ, dự thảo kết quả"
    page.goto(f"/designer/{CODE}/versions/{current}/what-if?months=99")
    expect(page.locator("[data-error-for=months]")).to_be_visible()

    page.goto(f"/designer/{CODE}/migrate?to={first}")  # back to the first version: a dry run first
    expect(page.locator("[data-report=dry-run]")).to_be_visible()
    assert page.locator(f"input[name=dossier][value='{dossier}']").is_checked()
    page.click("[data-form=migrate] button[type=submit]")  # not confirmed: nothing moves
    expect(page.locator("[data-error-for=confirm]")).to_be_visible()
    with live_server.services().session_factory() as session:
        row = session.scalars(select(Dossier).where(Dossier.code == dossier)).one()
        assert session.get(ProcedureVersion, row.procedure_version_id).number == current
    page.check("[data-form=migrate] input[name=confirm]")
    page.click("[data-form=migrate] button[type=submit]")
    expect(page.locator(f"[data-report=done] [data-moved='{dossier}']")).to_be_visible()
    with live_server.services().session_factory() as session:
        row = session.scalars(select(Dossier).where(Dossier.code == dossier)).one()
        assert session.get(ProcedureVersion, row.procedure_version_id).number == first

    page.goto("/designer/?lang=en")
    expect(page.locator("h1")).to_have_text("Process designer")
    assert not page.js_errors


def relabel_first_textarea(page: Any, text: str) -> None:
    page.locator(".fjs-editor-container .fjs-form-field-textarea").first.click()
    label = page.locator("#bio-properties-panel-label")
    if not label.is_visible():
        page.locator("[data-group-id=group-general] .bio-properties-panel-group-header").first.click()
    label.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_form_editor_saves_into_the_open_draft(page: Any, live_server: Any) -> None:
    current, before = stored(live_server)
    draft = max(before)  # the broken change of the test above is still an open draft
    assert before[draft].status == "draft" and draft > current
    login(page, "thietke")
    page.goto(f"/designer/{CODE}/versions/{current}/forms/gpxd-tham-dinh")
    page.wait_for_selector("[data-page=designer-form][data-ready=true]")
    page.click("[data-action=save-form]")
    expect(page.locator("[data-messages]")).to_have_text("Không có thay đổi.")  # nothing edited: no draft
    relabel_first_textarea(page, "Ý kiến thẩm định (ghi rõ căn cứ)")
    # saved at once: the page itself waits for form-js's debounced panel to commit the last keystrokes
    page.fill("[name=draft-note]", "sửa nhãn ý kiến")
    page.click("[data-action=save-form]")
    # made from the published version while a draft is open: saving would overwrite the draft, so it is refused
    expect(page.locator("[data-messages].flash-error")).to_contain_text(f"Hãy mở bản nháp {draft}")
    assert stored(live_server)[1][draft].forms == before[draft].forms

    page.goto(f"/designer/{CODE}/versions/{draft}/forms/gpxd-tham-dinh")
    page.wait_for_selector("[data-page=designer-form][data-ready=true]")
    relabel_first_textarea(page, "Ý kiến thẩm định (ghi rõ căn cứ)")
    page.fill("[name=draft-note]", "sửa nhãn ý kiến")
    page.click("[data-action=save-form]")
    page.wait_for_selector("[data-messages] [data-link=draft]")
    assert int(page.locator("[data-page=designer-form]").get_attribute("data-number")) == draft  # in place
    _current, versions = stored(live_server)
    assert versions[draft].status == "draft" and max(versions) == draft
    labels = [c.get("label") for c in versions[draft].forms["gpxd-tham-dinh"]["components"]]
    assert "Ý kiến thẩm định (ghi rõ căn cứ)" in labels
    assert "Ý kiến thẩm định (ghi rõ căn cứ)" not in [c.get("label") for c in
                                                        versions[current].forms["gpxd-tham-dinh"]["components"]]
    assert versions[draft].files == before[draft].files  # only the form changed
    assert not page.js_errors
