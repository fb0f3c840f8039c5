"""What officers see, in Chromium on both databases: the leader approving with the specialist's appraisal and
draft result in view; a specialist saving a half-filled form, leaving, and finding it again."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_flow import PATHS

from .conftest import login
from .test_officer import PROCEDURE, submit

pytestmark = pytest.mark.browser
APPRAISAL = {**PATHS[PROCEDURE]["steps"]["Task_ThamDinh"],
             "y_kien_tham_dinh": "Tên hộ đúng quy định, ngành nghề không bị cấm; dự thảo Giấy chứng nhận kèm theo."}


def test_the_leader_approves_with_the_specialists_appraisal_and_draft_in_view(page: Any, live_server: Any) -> None:
    api, code = submit(live_server, "counter")
    appraisal = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    assert api.complete(appraisal, "chuyenvien", APPRAISAL).status_code == 200
    approval = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]
    assert approval["bpmn_id"] == "Task_PheDuyet"

    login(page, "lanhdao", "/inbox?view=claimable")
    page.locator(f"tr[data-task='{approval['id']}'] a[data-open-task]").click()
    page.wait_for_selector("[data-task-form][data-ready=true]")
    record = page.locator("[data-step-record=Task_ThamDinh]")
    expect(record).to_be_visible()
    expect(record).to_contain_text(APPRAISAL["y_kien_tham_dinh"])  # the appraisal
    expect(record.locator("[data-answer=dat_dieu_kien]")).to_have_text("Có")  # the draft result: grant
    expect(record.locator("[data-step-by]")).to_contain_text("Chuyenvien")
    expect(page.locator("[data-declaration] [data-answer=hinh_thuc_dang_ky]")).to_have_text(
        "Cá nhân đăng ký hộ kinh doanh")
    expect(page.locator("[data-declaration] [data-answer=chu_ho_ngay_sinh]")).to_have_text("14/05/1988")

    page.click(f"[data-claim='{approval['id']}']")
    page.wait_for_selector("[data-task-form][data-readonly=false][data-ready=true]")
    expect(page.locator("[data-step-record=Task_ThamDinh]")).to_contain_text(APPRAISAL["y_kien_tham_dinh"])
    page.get_by_label("Đồng ý, ký ban hành kết quả").check()
    page.locator("textarea[id$='Field_y_kien_lanh_dao']").fill("Đồng ý với dự thảo.")
    page.click(f"[data-complete='{approval['id']}']")
    page.wait_for_url(f"**/inbox?done={code}")

    steps = api.get(f"/dossiers/{code}/steps", "lanhdao").get_json()["steps"]
    assert [(s["bpmn_id"], s["state"]) for s in steps][:2] == [("Task_ThamDinh", "completed"),
                                                                 ("Task_PheDuyet", "completed")]
    assert steps[1]["data"] == {"phe_duyet": "dong_y", "y_kien_lanh_dao": "Đồng ý với dự thảo."}
    assert steps[1]["completed_by_name"] == "Lanhdao"
    assert not page.js_errors


def test_a_specialist_saves_a_draft_leaves_and_finds_it_again(page: Any, live_server: Any) -> None:
    api, code = submit(live_server, "counter")
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]

    login(page, "chuyenvien", f"/tasks/{task_id}")
    page.click(f"[data-claim='{task_id}']")
    page.wait_for_selector("[data-task-form][data-readonly=false][data-ready=true]")
    page.locator("input[id$='Field_ten_hop_le']").check()
    reason = page.locator("textarea[id$='Field_ly_do_khong_dat']")
    reason.fill("Đang chờ tra cứu trùng tên trên địa bàn")  # the required opinion is still empty
    page.click(f"[data-save-draft='{task_id}']")
    expect(page.locator("[data-draft-saved]")).to_be_visible()
    expect(page.locator("[data-draft-saved]")).to_contain_text("Đã lưu nháp lúc")
    expect(page.locator("[data-error-summary]")).to_be_hidden()  # a draft is not checked as complete
    draft = api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["draft"]
    assert draft["ly_do_khong_dat"] == "Đang chờ tra cứu trùng tên trên địa bàn" and draft["ten_hop_le"] is True

    page.goto("/inbox")  # leaves, and comes back from the inbox
    page.locator(f"tr[data-task='{task_id}'] a[data-open-task]").click()
    page.wait_for_selector("[data-task-form][data-ready=true]")
    expect(page.locator("textarea[id$='Field_ly_do_khong_dat']")).to_have_value(
        "Đang chờ tra cứu trùng tên trên địa bàn")
    assert page.locator("input[id$='Field_ten_hop_le']").is_checked()
    expect(page.locator("[data-draft-saved]")).to_contain_text("Bản nháp lưu lúc")

    page.locator("textarea[id$='Field_y_kien_tham_dinh']").fill("Đủ điều kiện.")
    page.click(f"[data-complete='{task_id}']")
    page.wait_for_url(f"**/inbox?done={code}")
    done = next(s for s in api.get(f"/dossiers/{code}/steps", "tiepnhan").get_json()["steps"] if s["id"] == task_id)
    assert done["data"]["ly_do_khong_dat"] == "Đang chờ tra cứu trùng tên trên địa bàn"
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["draft"] is None
    assert not page.js_errors
