"""What officers must see (issue 13 §3), through the API and the pages, on both databases: the citizen's
declaration and every step's data labelled from their forms, kept at completion; the hand-over preview's list;
a step's draft saved and found again; priorities on a named scale; no result returned while a fee is owed,
unless a leader waives it."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from flask import Flask

from engine.procedures.form_reading import read_form

from .conftest import Api
from .test_flow import PATHS, submit
from .test_officer_pages import add_officer, signed_in

HKD = "ho-kinh-doanh"
APPRAISAL = PATHS[HKD]["steps"]["Task_ThamDinh"]


def task_of(api: Api, code: str, bpmn_id: str) -> dict[str, Any]:
    return next(t for t in api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"]
                if t["bpmn_id"] == bpmn_id)


def appraised(api: Api) -> str:
    """A dossier whose specialist has appraised it: the leader's approval is open."""
    code = submit(api, HKD)["code"]
    resp = api.complete(task_of(api, code, "Task_ThamDinh")["id"], "chuyenvien", APPRAISAL)
    assert resp.status_code == 200, resp.get_json()
    return code


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# --- the declaration and the steps, labelled ------------------------------------------------------------

FORM = {"components": [
    {"type": "text", "text": "# Tờ khai"},
    {"type": "textfield", "key": "ten", "label": "Họ và tên"},
    {"type": "checkbox", "key": "dong_y", "label": "Đồng ý"},
    {"type": "select", "key": "loai", "label": "Loại", "values": [{"label": "Nhà ở riêng lẻ", "value": "rieng_le"}]},
    {"type": "checklist", "key": "giay_to", "label": "Giấy tờ",
     "values": [{"label": "Bản vẽ", "value": "ban_ve"}, {"label": "Sổ đỏ", "value": "so_do"}]},
    {"type": "datetime", "key": "ngay", "subtype": "date", "dateLabel": "Ngày khởi công"},
    {"type": "group", "label": "Người đại diện", "components": [
        {"type": "textfield", "key": "dai_dien", "label": "Tên người đại diện"}]},
    {"type": "group", "path": "dia_chi", "label": "Địa chỉ", "components": [
        {"type": "textfield", "key": "xa", "label": "Xã, phường"}]},
    {"type": "dynamiclist", "path": "thanh_vien", "label": "Thành viên", "components": [
        {"type": "textfield", "key": "ho_ten", "label": "Họ tên thành viên"}]},
]}


def test_form_data_is_read_with_the_forms_labels_nested_as_the_form_nests_it() -> None:
    fields = read_form(FORM, {"ten": "Lê Văn Bé", "dong_y": False, "loai": "rieng_le", "giay_to": ["so_do", "x"],
                              "ngay": "2026-03-02", "dai_dien": "Lê Thị Cúc", "dia_chi": {"xa": "An Xuyên"},
                              "thanh_vien": [{"ho_ten": "Lê Văn Đông"}, {"ho_ten": "Lê Văn Tây"}],
                              "khac": 5})
    by_key = {f.key or f.label: f for f in fields}
    assert [f.label for f in fields] == ["Họ và tên", "Đồng ý", "Loại", "Giấy tờ", "Ngày khởi công",
                                         "Người đại diện", "Địa chỉ", "Thành viên", "khac"]
    assert by_key["loai"].choices == ["Nhà ở riêng lẻ"] and by_key["giay_to"].choices == ["Sổ đỏ", "x"]
    assert (by_key["ngay"].type, by_key["ngay"].subtype, by_key["ngay"].value) == ("datetime", "date", "2026-03-02")
    layout = next(f for f in fields if f.label == "Người đại diện")
    assert layout.type == "group" and [(c.label, c.value) for c in layout.children] == [("Tên người đại diện",
                                                                                           "Lê Thị Cúc")]
    assert [(c.label, c.value) for c in by_key["dia_chi"].children] == [("Xã, phường", "An Xuyên")]
    assert [[c.value for c in row] for row in by_key["thanh_vien"].items] == [["Lê Văn Đông"], ["Lê Văn Tây"]]
    assert by_key["khac"].type == "unknown"  # a key the form does not have is still shown
    assert read_form(None, None) == []


def test_the_declaration_and_each_steps_data_are_kept_and_labelled(app: Flask, api: Api) -> None:
    code = appraised(api)
    dossier = api.get(f"/dossiers/{code}", "lanhdao").get_json()
    declaration = {f["key"]: f for f in dossier["declaration"]}
    assert declaration["ten_ho_kinh_doanh"]["label"] == "Tên hộ kinh doanh"
    assert declaration["hinh_thuc_dang_ky"]["choices"] == ["Cá nhân đăng ký hộ kinh doanh"]
    assert declaration["chu_ho_ngay_sinh"]["label"] == "Ngày sinh của chủ hộ"
    assert dossier["steps"][0]["data"]["y_kien_tham_dinh"] == APPRAISAL["y_kien_tham_dinh"]

    steps = api.get(f"/dossiers/{code}/steps", "lanhdao").get_json()
    assert steps["code"] == code and steps["data"] == dossier["data"]
    done, approval = steps["steps"]
    assert (done["bpmn_id"], done["state"], done["completed_by_name"]) == ("Task_ThamDinh", "completed", "Chuyenvien")
    assert done["completed_at"].endswith("+07:00") and done["data"] == APPRAISAL
    labelled = {f["key"]: f for f in done["fields"]}
    assert labelled["dat_dieu_kien"]["label"] == "Đủ điều kiện cấp Giấy chứng nhận đăng ký hộ kinh doanh"
    assert labelled["dat_dieu_kien"]["value"] is True and labelled["y_kien_tham_dinh"]["type"] == "textarea"
    assert (approval["bpmn_id"], approval["state"], approval["data"], approval["fields"]) == (
        "Task_PheDuyet", "open", None, [])


def test_another_units_officers_and_non_officers_see_no_declaration_and_no_steps(app: Flask, api: Api) -> None:
    code = appraised(api)
    add_officer(app, "lanhdao_tt", [("CM-TT", "leader")])
    add_officer(app, "thietke", [("CM", "designer")])
    for user in ("lanhdao_tt", "quantri", "thietke"):
        for path in (f"/dossiers/{code}/steps", f"/dossiers/{code}"):
            resp = api.get(path, user)
            assert resp.status_code == 404 and resp.mimetype == "application/problem+json", (user, path)
    assert api.get(f"/dossiers/{code}/steps").status_code == 401
    other, _ = signed_in(app, "lanhdao_tt")
    assert other.get(f"/dossiers/{code}").status_code == 404


def test_the_leader_reads_the_appraisal_on_the_approval_task_page(app: Flask, api: Api) -> None:
    code = appraised(api)
    approval = task_of(api, code, "Task_PheDuyet")["id"]
    client, _ = signed_in(app, "lanhdao")
    page = client.get(f"/tasks/{approval}").get_data(as_text=True)
    record = page[page.index('data-step-record="Task_ThamDinh"'):]
    record = text_of(record[:record.index("</article>")])
    assert APPRAISAL["y_kien_tham_dinh"] in record and "Chuyenvien" in record
    assert "Đủ điều kiện cấp Giấy chứng nhận đăng ký hộ kinh doanh Có" in record
    declaration = page[page.index("data-declaration"):]
    declaration = text_of(declaration[:declaration.index("</section>")])
    assert "Ngày sinh của chủ hộ 14/05/1988" in declaration  # a date in local format
    assert "Chủ thể đăng ký hộ kinh doanh Cá nhân đăng ký hộ kinh doanh" in declaration  # a choice by its label
    assert "Vốn kinh doanh (đồng) 150.000.000" in declaration
    dossier_page = text_of(client.get(f"/dossiers/{code}").get_data(as_text=True))
    assert APPRAISAL["y_kien_tham_dinh"] in dossier_page and "Hộ kinh doanh Cơm tấm Minh Anh" in dossier_page
    english = text_of(client.get(f"/tasks/{approval}?lang=en").get_data(as_text=True))
    assert "Yes" in english and "The applicant's declaration" in english


# --- the hand-over preview lists what moves --------------------------------------------------------------

def test_the_handover_preview_lists_the_tasks_and_dossiers_that_will_move(app: Flask, api: Api) -> None:
    code = submit(api, HKD)["code"]
    task = task_of(api, code, "Task_ThamDinh")
    assert api.post(f"/tasks/{task['id']}/claim", "chuyenvien").status_code == 200
    colleague = add_officer(app, "chuyenvien2", [("CM-AX", "specialist"), ("CM-AX", "reception")])
    leaver = api.get(f"/tasks/{task['id']}", "chuyenvien").get_json()["assignee_id"]
    client, token = signed_in(app, "lanhdao")
    preview = client.post("/handover", data={"csrf_token": token, "from_user": str(leaver),
                                             "to_user": str(colleague)})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-handover-report="preview"' in page
    row = page[page.index(f'data-handover-task="{task["id"]}"'):]
    row = text_of(row[:row.index("</tr>")])
    assert code in row and "Đăng ký thành lập hộ kinh doanh" in row and task["name"] in row
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", row)  # its due time, local
    assert api.get(f"/tasks/{task['id']}", "chuyenvien").get_json()["assignee_id"] == leaver  # nothing moved

    report = api.post("/handovers", "lanhdao", json={"from_user": leaver, "to_user": colleague}).get_json()
    assert report["tasks"] == [{"task": task["id"], "dossier": code, "procedure": HKD, "step": task["name"],
                                "state": "open", "role": "specialist", "due_at": task["due_at"],
                                "owner_only": False}]
    assert report["dossiers"] == []


def test_the_handover_preview_lists_dossiers_at_the_desk(app: Flask, api: Api) -> None:
    code = submit(api, HKD)["code"]
    colleague = add_officer(app, "tiepnhan2", [("CM-AX", "reception")])
    clerk = next(u["id"] for u in api.get("/users", "quantri").get_json()["items"] if u["username"] == "tiepnhan")
    client, token = signed_in(app, "lanhdao")
    page = client.post("/handover", data={"csrf_token": token, "from_user": str(clerk),
                                          "to_user": str(colleague)}).get_data(as_text=True)
    row = page[page.index(f'data-handover-dossier="{code}"'):]
    assert "Đã tiếp nhận" in text_of(row[:row.index("</tr>")])


# --- a step's draft -------------------------------------------------------------------------------------

def test_a_specialist_saves_a_half_filled_form_and_finds_it_again(app: Flask, api: Api) -> None:
    code = submit(api, HKD)["code"]
    task_id = task_of(api, code, "Task_ThamDinh")["id"]
    half = {"ten_hop_le": True, "ly_do_khong_dat": "Đang chờ tra cứu tên"}  # the required opinion is missing
    assert api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": half}).status_code == 409
    assert api.post(f"/tasks/{task_id}/claim", "chuyenvien").status_code == 200
    saved = api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": half})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["draft"] == half and body["draft_at"].endswith("+07:00") and body["draft_by"] == body["assignee_id"]
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["draft"] == half

    bad = api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": {"khong_co": 1}})
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"khong_co": ["Unknown field."]}
    assert api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": "x"}).status_code == 422
    big = api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien",
                   json={"data": {"ly_do_khong_dat": "x" * 70_000}})
    assert big.status_code == 422
    assert api.call("PUT", f"/tasks/{task_id}/draft", "tiepnhan", json={"data": half}).status_code == 403
    add_officer(app, "chuyenvien_tt", [("CM-TT", "specialist")])
    assert api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien_tt", json={"data": half}).status_code == 404

    client, _ = signed_in(app, "chuyenvien")  # the page starts the form from the draft
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="task-form-data">(.*?)</script>', page, re.S)
    assert data and json.loads(data.group(1))["ly_do_khong_dat"] == "Đang chờ tra cứu tên"
    assert "data-save-draft" in page
    assert "Bản nháp lưu lúc" in page

    history = api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
    entry = next(e for e in history if e["action"] == "draft_saved")
    assert entry["detail"] == {"fields": ["ly_do_khong_dat", "ten_hop_le"]} and entry["task_id"] == task_id

    # completing checks the whole form; the draft is cleared and what was submitted is kept
    assert api.complete(task_id, "chuyenvien", {}).status_code == 422  # the draft alone is not complete
    assert api.complete(task_id, "chuyenvien", {**APPRAISAL, **half}).status_code == 200
    step = next(s for s in api.get(f"/dossiers/{code}/steps", "tiepnhan").get_json()["steps"]
                if s["id"] == task_id)
    assert step["data"]["ly_do_khong_dat"] == "Đang chờ tra cứu tên"
    with app.extensions["motcua"].uow() as uow:
        from engine.dossiers.models import TaskRecord
        row = uow.session.get(TaskRecord, task_id)
        assert (row.draft, row.draft_by, row.draft_at) == (None, None, None)
    assert api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": half}).status_code == 409


def test_an_empty_draft_clears_it(api: Api) -> None:
    code = submit(api, HKD)["code"]
    task_id = task_of(api, code, "Task_ThamDinh")["id"]
    api.post(f"/tasks/{task_id}/claim", "chuyenvien")
    api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": {"ten_hop_le": True}})
    cleared = api.call("PUT", f"/tasks/{task_id}/draft", "chuyenvien", json={"data": {}}).get_json()
    assert cleared["draft"] is None and cleared["draft_at"] is None
    actions = [e["action"] for e in api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]]
    assert actions[-2:] == ["draft_saved", "draft_cleared"]


# --- priorities ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [5, 1, -1, "5", "khan", "URGENT", None, True])
def test_a_priority_is_a_name_of_the_scale(api: Api, value: Any) -> None:
    task_id = task_of(api, submit(api, HKD)["code"], "Task_ThamDinh")["id"]
    resp = api.post(f"/tasks/{task_id}/priority", "lanhdao", json={"priority": value})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert api.get(f"/tasks/{task_id}", "lanhdao").get_json()["priority"] == "normal"


def test_priorities_sort_the_inbox_most_urgent_first(app: Flask, api: Api) -> None:
    codes = [submit(api, HKD)["code"] for _ in range(3)]
    tasks = [task_of(api, c, "Task_ThamDinh")["id"] for c in codes]
    for task_id, level in zip(tasks, ["normal", "most_urgent", "urgent"], strict=True):
        resp = api.post(f"/tasks/{task_id}/priority", "lanhdao", json={"priority": level})
        assert resp.status_code == 200 and resp.get_json()["priority"] == level
    items = api.get("/tasks?sort=priority", "chuyenvien").get_json()["items"]
    assert [t["id"] for t in items] == [tasks[1], tasks[2], tasks[0]]
    assert [t["priority"] for t in items] == ["most_urgent", "urgent", "normal"]
    client, _ = signed_in(app, "chuyenvien")
    page = client.get("/inbox?sort=priority").get_data(as_text=True)
    assert page.index("Thượng khẩn") < page.index(">Khẩn<")
    task_page = client.get(f"/tasks/{tasks[1]}").get_data(as_text=True)
    assert 'data-priority="2">Thượng khẩn' in task_page


# --- no result while a fee is owed ------------------------------------------------------------------------

def processed(api: Api) -> str:
    code = submit(api, HKD)["code"]
    from .test_flow import run_to_end
    run_to_end(api, HKD, code)
    return code


def test_the_result_waits_for_the_fee_or_a_leaders_exemption(app: Flask, api: Api) -> None:
    code = processed(api)
    refused = api.post(f"/dossiers/{code}/actions/return_result", "tiepnhan", json={})
    problem = refused.get_json()
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert problem["code"] == "fee-unpaid" and problem["fee_amount"] == 100000
    assert problem["allowed_actions"] == ["require_payment", "record_payment", "return_result"]
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] == "processed"

    assert api.post(f"/dossiers/{code}/actions/exempt_fee", "tiepnhan", json={"reason": "x"}).status_code == 403
    assert api.post(f"/dossiers/{code}/actions/exempt_fee", "lanhdao", json={}).status_code == 422
    add_officer(app, "lanhdao_tt", [("CM-TT", "leader")])
    assert api.post(f"/dossiers/{code}/actions/exempt_fee", "lanhdao_tt", json={"reason": "x"}).status_code == 404
    waived = api.post(f"/dossiers/{code}/actions/exempt_fee", "lanhdao",
                      json={"reason": "Hộ nghèo, miễn lệ phí theo nghị quyết"})
    body = waived.get_json()
    assert waived.status_code == 200 and body["fee_owed"] is False and body["paid_at"] is None
    assert body["fee_exemption_reason"] == "Hộ nghèo, miễn lệ phí theo nghị quyết"
    assert body["fee_exempted_at"].endswith("+07:00") and body["fee_exempted_by"] is not None
    assert body["history"][-1]["action"] == "exempt_fee"
    assert body["history"][-1]["detail"]["reason"] == "Hộ nghèo, miễn lệ phí theo nghị quyết"
    again = api.post(f"/dossiers/{code}/actions/exempt_fee", "lanhdao", json={"reason": "lần hai"})
    assert again.status_code == 409  # nothing is owed any more

    client, _ = signed_in(app, "tiepnhan")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'data-fee="exempted"' in page and "Hộ nghèo, miễn lệ phí" in page and "data-fee-owed" not in page
    returned = api.post(f"/dossiers/{code}/actions/return_result", "tiepnhan", json={})
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned"


def test_a_payment_recorded_at_the_counter_lets_the_result_go(api: Api) -> None:
    code = processed(api)
    assert api.post(f"/dossiers/{code}/actions/record_payment", "tiepnhan", json={}).status_code == 422
    paid = api.post(f"/dossiers/{code}/actions/record_payment", "tiepnhan", json={"online": False}).get_json()
    assert paid["status"] == "processed" and paid["paid_at"] and paid["fee_owed"] is False
    assert "record_payment" not in paid["allowed_actions"] and "exempt_fee" not in paid["allowed_actions"]
    assert api.post(f"/dossiers/{code}/actions/record_payment", "tiepnhan",
                    json={"online": False}).status_code == 409  # paid once
    assert api.post(f"/dossiers/{code}/actions/return_result", "tiepnhan", json={}).status_code == 200


def test_an_exemption_while_waiting_for_the_payment_resumes_the_dossier(api: Api) -> None:
    code = submit(api, HKD)["code"]
    assert api.post(f"/dossiers/{code}/actions/require_payment", "tiepnhan", json={}).status_code == 200
    waived = api.post(f"/dossiers/{code}/actions/exempt_fee", "lanhdao", json={"reason": "Miễn theo quy định"})
    assert waived.status_code == 200 and waived.get_json()["status"] == "received"
    assert waived.get_json()["open_tasks"][0]["state"] == "open"


def test_the_dossier_page_says_why_the_result_cannot_be_returned(app: Flask, api: Api) -> None:
    code = processed(api)
    client, token = signed_in(app, "tiepnhan")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "data-fee-owed" in page and 'data-action="record_payment"' in page and 'data-fee="owed"' in page
    resp = client.post(f"/dossiers/{code}/actions/return_result", data={"csrf_token": token})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "100.000 đ chưa nộp" in text and 'data-field-error="fee"' in text
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] == "processed"
    leader, leader_token = signed_in(app, "lanhdao")
    assert 'data-action="exempt_fee"' in leader.get(f"/dossiers/{code}").get_data(as_text=True)
    done = leader.post(f"/dossiers/{code}/actions/exempt_fee", data={"csrf_token": leader_token,
                                                                      "reason": "Miễn lệ phí"})
    assert done.status_code == 302
    assert client.post(f"/dossiers/{code}/actions/return_result", data={"csrf_token": token}).status_code == 302


def test_a_steps_default_priority_is_a_name_of_the_scale(tmp_path: Any) -> None:
    import shutil
    from pathlib import Path

    from engine.dossiers.priorities import step_default
    from engine.procedures.packages import read_package
    from engine.reform.validation import has_errors, validate_package

    assert [step_default(v) for v in ("urgent", " most_urgent ", "normal", None, "khẩn")] == [1, 2, 0, 0, 0]
    assert [step_default(v) for v in ("-5", "0", "1", "7", "50", "51", "100")] == [0, 0, 1, 1, 1, 2, 2]  # legacy
    root = Path(__file__).resolve().parent.parent
    folder = tmp_path / "processes" / "gpxd-nha-o"
    shutil.copytree(root / "processes" / "gpxd-nha-o", folder)
    shutil.copytree(root / "forms", tmp_path / "forms")
    budget = '<spiffworkflow:property name="timeBudget" value="P4D" />'
    bpmn = (folder / "process.bpmn").read_text(encoding="utf-8")
    for value, flagged in (("7", True), ("urgent", False)):
        drawn = bpmn.replace(budget, budget + f'<spiffworkflow:property name="priority" value="{value}" />', 1)
        (folder / "process.bpmn").write_text(drawn, encoding="utf-8")
        findings = validate_package(read_package(folder, tmp_path / "forms"))
        bad = [f for f in findings if f.code == "step-bad-priority"]
        assert [(f.element, f.severity) for f in bad] == ([("Task_ThamDinh", "warning")] if flagged else [])
        assert not has_errors(findings)
