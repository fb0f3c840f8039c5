"""The officer in the browser: claim a step, fill its form (a server validation error first), complete it; a
lifecycle action from the dossier page; the diagram's current step; the control sheet."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Api
from tests.test_flow import PATHS

from .conftest import login

pytestmark = pytest.mark.browser
PROCEDURE = "ho-kinh-doanh"


def submit(live_server: Any, channel: str) -> tuple[Api, str]:
    api = Api(live_server.app.test_client())
    body = {"procedure": PROCEDURE, "applicant": PATHS[PROCEDURE]["applicant"], "data": PATHS[PROCEDURE]["start"],
            "channel": channel}
    resp = api.post("/dossiers", "tiepnhan", json=body)
    assert resp.status_code == 201, resp.get_json()
    return api, resp.get_json()["code"]


def test_officer_claims_fills_the_form_sees_a_validation_error_and_completes(page: Any, live_server: Any) -> None:
    api, code = submit(live_server, "counter")
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]

    login(page, "chuyenvien", "/inbox?view=claimable")
    row = page.locator(f"tr[data-task='{task_id}']")
    expect(row.locator("[data-due=ok]")).to_be_visible()  # a fresh step is within its time
    assert "/" in row.locator("[data-due]").inner_text()  # with its due time, as a local date
    row.locator(f"[data-claim='{task_id}']").click()
    page.wait_for_selector("p.flash")
    assert "view=claimable" in page.url and page.locator(f"tr[data-task='{task_id}']").count() == 0
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["assignee_id"] is not None

    page.goto("/inbox?view=assigned")
    page.locator(f"tr[data-task='{task_id}'] a[data-open-task]").click()
    page.wait_for_selector("[data-task-form][data-ready=true]")
    expect(page.locator("[data-instructions]")).to_be_visible()
    opinion = page.locator("textarea[id$='Field_y_kien_tham_dinh']")
    assert opinion.input_value() == ""  # required, and left empty: the server refuses

    page.click(f"[data-complete='{task_id}']")
    page.wait_for_selector("[data-error-summary]:not([hidden])")
    assert page.locator("[data-error-key=y_kien_tham_dinh]").count() == 1
    field = page.locator(".fjs-form-field", has=opinion)
    assert "Bắt buộc nhập." in field.locator(".fjs-form-field-error").inner_text()
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["state"] == "open"

    page.locator("input[id$='Field_ten_hop_le']").check()  # typed before the error survives the retry
    opinion.fill("Hồ sơ hợp lệ; đề nghị cấp Giấy chứng nhận.")
    page.click(f"[data-complete='{task_id}']")
    page.wait_for_url(f"**/inbox?done={code}")
    expect(page.locator(f"[data-done='{code}']")).to_be_visible()
    assert page.locator(f"tr[data-task='{task_id}']").count() == 0

    dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
    assert [s["bpmn_id"] for s in dossier["steps"]] == ["Task_ThamDinh"]
    assert [t["bpmn_id"] for t in dossier["open_tasks"]] == ["Task_PheDuyet"]
    history = api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
    done = next(e for e in history if e["action"] == "task_completed")
    assert done["detail"]["data"]["ten_hop_le"] is True
    assert not page.js_errors


def test_receive_from_the_dossier_page_highlights_the_step_and_prints_the_control_sheet(page: Any,
                                                                                       live_server: Any) -> None:
    api, code = submit(live_server, "online")
    login(page, "tiepnhan")
    page.locator(f"tr[data-waiting-dossier='{code}'] a").click()
    page.wait_for_selector("[data-page=dossier]")
    assert page.locator("[data-dossier-panel]").get_attribute("data-status") == "registered"

    page.locator("[data-action=receive] summary").click()
    page.click("[data-submit-action=receive]")  # the required documents come ticked
    page.wait_for_selector("[data-dossier-panel][data-status=received]")
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] == "received"
    assert page.locator("[data-event=receive]").count() == 1

    page.locator("[data-diagram]").scroll_into_view_if_needed()
    page.wait_for_selector("[data-diagram][data-ready=true]")
    current = page.locator("[data-diagram] g.djs-element[data-element-id=Task_ThamDinh]")
    assert "step-current" in (current.get_attribute("class") or "")
    assert "step-current" not in (page.locator("g[data-element-id=Task_PheDuyet]").get_attribute("class") or "")

    with page.expect_popup() as popup:
        page.click("[data-document=control-sheet]")
    sheet = popup.value
    sheet.wait_for_load_state()
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ".upper() in sheet.content().upper()
    assert code in sheet.content()
    assert not page.js_errors


def test_leader_assigns_from_the_team_view_and_raises_the_priority_on_the_task_page(page: Any,
                                                                                     live_server: Any) -> None:
    api, code = submit(live_server, "counter")
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    specialist = next(u for u in api.get("/users", "quantri").get_json()["items"] if u["username"] == "chuyenvien")

    login(page, "lanhdao", "/inbox?view=team")
    row = page.locator(f"tr[data-task='{task_id}']")
    row.locator(f"[data-assign-select='{task_id}']").select_option(str(specialist["id"]))
    row.locator(f"[data-assign='{task_id}']").click()
    page.wait_for_selector("p.flash")
    assert "view=team" in page.url and code in page.locator("p.flash").inner_text()
    assert api.get(f"/tasks/{task_id}", "lanhdao").get_json()["assignee_id"] == specialist["id"]

    page.locator(f"tr[data-task='{task_id}'] a[data-open-task]").click()
    page.wait_for_selector("[data-assign-form]")
    assert page.locator("[data-assign-select]").input_value() == str(specialist["id"])  # the current assignee
    page.select_option("[data-priority-input]", "most_urgent")
    page.click("[data-priority-submit]")
    page.wait_for_selector("p.flash")
    assert "Thượng khẩn" in page.locator("[data-page=task] .task-due").inner_text()
    assert api.get(f"/tasks/{task_id}", "lanhdao").get_json()["priority"] == "most_urgent"
    assert not page.js_errors
