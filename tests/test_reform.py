"""A reform played end to end on a shipped procedure: a draft that removes a step, cuts a document and
shortens the legal time is validated, diffed, replayed (what-if), published; new dossiers take it, running
ones stay until moved in bulk, and the moved ones finish on the new version."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.procedures.packages import read_package

from .conftest import Api, FakeClock
from .test_flow import PATHS, run_to_end
from .test_lifecycle import submit
from .test_officer_pages import signed_in

ROOT = Path(__file__).resolve().parent.parent
HKD = "ho-kinh-doanh"


def reformed_package() -> dict[str, Any]:
    package = read_package(ROOT / "processes" / HKD, ROOT / "forms")
    files = package.text_files()
    bpmn = files["process.bpmn"]
    bpmn = re.sub(r'<bpmn:userTask id="Task_NhanKetQua".*?</bpmn:userTask>\s*', "", bpmn, flags=re.S)
    bpmn = bpmn.replace('targetRef="Task_NhanKetQua"', 'targetRef="EndEvent_CoKetQua"')
    bpmn = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_KetThuc"[^>]*/>', "", bpmn)
    bpmn = bpmn.replace("<bpmn:flowNodeRef>Task_NhanKetQua</bpmn:flowNodeRef>", "")
    bpmn = bpmn.replace("<bpmn:incoming>Flow_KetThuc</bpmn:incoming>",
                        "<bpmn:incoming>Flow_GiayChungNhan</bpmn:incoming><bpmn:incoming>Flow_ThongBao</bpmn:incoming>")
    bpmn = re.sub(r'<bpmn:incoming>Flow_(GiayChungNhan|ThongBao)</bpmn:incoming>\s*(?=<bpmn:outgoing>Flow_KetThuc)',
                  "", bpmn)
    bpmn = re.sub(r'\s*<bpmndi:BPMNShape[^>]*bpmnElement="Task_NhanKetQua".*?</bpmndi:BPMNShape>', "", bpmn,
                  flags=re.S)
    bpmn = re.sub(r'\s*<bpmndi:BPMNEdge[^>]*bpmnElement="Flow_KetThuc".*?</bpmndi:BPMNEdge>', "", bpmn, flags=re.S)
    bpmn = bpmn.replace('value="PT4H"', 'value="PT1H"', 1)  # the approval step: 4 working hours -> 1
    files["process.bpmn"] = bpmn
    toml = files["procedure.toml"].replace("value = 3\n", "value = 2\n", 1)
    start = toml.index('[[documents]]\ncode = "van-ban-uy-quyen-nop-ho-so"')
    files["procedure.toml"] = toml[:start] + toml[toml.index("[result]"):]
    forms = {k: v for k, v in package.forms.items() if k != "hkd-nhan-ket-qua"}
    return {"code": HKD, "files": files, "forms": forms, "note": "Cải cách: bỏ bước nhận kết quả, rút còn 2 ngày"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def api(app_factory: Any, clock: FakeClock) -> Api:
    return Api(app_factory(clock=clock).test_client())


def step(api: Api, code: str) -> dict[str, Any]:
    task = api.get(f"/dossiers/{code}", "tatca").get_json()["open_tasks"][0]
    user = {"reception": "tiepnhan", "specialist": "chuyenvien", "leader": "lanhdao"}[task["role"]]
    resp = api.complete(task["id"], user, PATHS[HKD]["steps"][task["bpmn_id"]])
    assert resp.status_code == 200, resp.get_json()
    return task


def test_reform_end_to_end(api: Api, clock: FakeClock) -> None:
    # a finished dossier on version 1, for the what-if: 10 working hours, 2 of them in the step to remove
    clock.at("2026-03-02 09:00")
    done = submit(api)["code"]
    clock.at("2026-03-02 15:00")
    step(api, done)
    clock.at("2026-03-03 09:00")
    step(api, done)
    clock.at("2026-03-03 11:00")
    assert step(api, done)["bpmn_id"] == "Task_NhanKetQua"
    running = submit(api)["code"]   # will stay at its first step: movable
    late = submit(api)["code"]      # will reach the step the reform removes: not movable
    again = submit(api)["code"]     # moved and moved back
    step(api, late)
    step(api, late)

    draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package())
    assert draft.status_code == 201, draft.get_json()
    assert draft.get_json()["version"]["status"] == "draft" and draft.get_json()["problems"] == []
    assert api.post(f"/procedures/{HKD}/drafts", "chuyenvien", json=reformed_package()).status_code == 403
    again_draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package())
    assert again_draft.get_json()["version"]["number"] == 2  # same content, same version
    assert api.get(f"/procedures/{HKD}", "tiepnhan").get_json()["version"] == 1  # drafts are not used

    change = api.get(f"/procedures/{HKD}/diff?from=1&to=2", "quantri").get_json()
    assert [s["id"] for s in change["steps"]["removed"]] == ["Task_NhanKetQua"]
    assert change["legal_time"]["to"] == {"value": 2.0, "unit": "working_days"}
    assert len(change["documents"]["removed"]) == 1
    assert change["steps"]["budget_changed"] == [{"id": "Task_PheDuyet", "name": "Phê duyệt, ký kết quả",
                                                  "from": "PT4H", "to": "PT1H"}]

    replay = api.get(f"/procedures/{HKD}/versions/2/what-if?months=3", "quantri").get_json()
    assert replay["actual"] == {"dossiers": 1, "on_time_rate": 100.0, "average_working_hours": 10.0}
    assert replay["estimate"] == {"dossiers": 1, "on_time_rate": 100.0, "average_working_hours": 8.0}
    assert replay["removed_steps"] == {"Task_NhanKetQua": 2.0} and replay["legal_working_hours"] == 16
    assert replay["steps"]["Task_ThamDinh"] == {"steps": 1, "on_time": 1, "on_time_with_version": 1}
    # approval took 3.5 working hours: on time with 4 hours, late with the reform's 1 hour
    assert replay["steps"]["Task_PheDuyet"] == {"steps": 1, "on_time": 1, "on_time_with_version": 0}

    published = api.post(f"/procedures/{HKD}/versions/2/publish", "quantri",
                         json={"note": "Quyết định cải cách thủ tục hành chính"})
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert api.post(f"/procedures/{HKD}/versions/2/publish", "quantri", json={"note": "x"}).status_code == 409
    fresh = submit(api)["code"]
    versions = {c: api.get(f"/dossiers/{c}", "tatca").get_json()["procedure_version"] for c in (running, fresh)}
    assert versions[running] != versions[fresh]

    dry = api.post(f"/procedures/{HKD}/migrations", "quantri", json={"to_version": 2}).get_json()
    assert dry["dry_run"] is True and sorted(dry["movable"]) == sorted([running, again]) and dry["moved"] == []
    assert [b["dossier"] for b in dry["blocked"]] == [late] and "Task_NhanKetQua" in dry["blocked"][0]["reason"]
    assert dry["blocked"][0]["code"] == "steps-gone" and dry["blocked"][0]["steps"] == ["Task_NhanKetQua"]
    page = signed_in(api.client.application, "quantri")[0].get(f"/designer/{HKD}/migrate?to=2").get_data(as_text=True)
    assert ("Các bước đã bắt đầu hoặc đã xong ở hồ sơ này không còn trong phiên bản mới: Task_NhanKetQua"
            in page)  # the designer's page says it in the page's language
    assert api.get(f"/dossiers/{running}", "tatca").get_json()["procedure_version"] == versions[running]

    task_before = api.get(f"/dossiers/{running}", "tatca").get_json()["open_tasks"][0]
    moved = api.post(f"/procedures/{HKD}/migrations", "quantri",
                     json={"to_version": 2, "dry_run": False, "dossiers": [running, late]}).get_json()
    assert moved["moved"] == [running] and [b["dossier"] for b in moved["blocked"]] == [late]
    after = api.get(f"/dossiers/{running}", "tatca").get_json()
    assert after["procedure_version"] == versions[fresh]
    assert after["open_tasks"][0]["id"] == task_before["id"]  # the same step row, with its assignment
    assert after["open_tasks"][0]["due_at"] == task_before["due_at"]  # and its clock
    assert after["history"][-1]["action"] == "migrated"

    # the moved dossier finishes on the new version: no result-receiving step any more
    assert run_to_end(api, HKD, running) == ["Task_ThamDinh", "Task_PheDuyet"]
    assert api.get(f"/dossiers/{running}", "tatca").get_json()["status"] == "processed"
    # the blocked one finishes on its own version
    assert run_to_end(api, HKD, late) == ["Task_NhanKetQua"]

    # reversible: move one there and back
    there = api.post(f"/procedures/{HKD}/migrations", "quantri",
                     json={"to_version": 2, "dry_run": False, "dossiers": [again]}).get_json()
    assert there["moved"] == [again]
    back = api.post(f"/procedures/{HKD}/migrations", "quantri",
                    json={"to_version": 1, "dry_run": False, "dossiers": [again]}).get_json()
    assert back["moved"] == [again]
    assert api.get(f"/dossiers/{again}", "tatca").get_json()["procedure_version"] == versions[running]
    assert run_to_end(api, HKD, again) == ["Task_ThamDinh", "Task_PheDuyet", "Task_NhanKetQua"]
    actions = [e["action"] for e in api.get(f"/dossiers/{again}/history", "tatca").get_json()["items"]]
    assert actions.count("migrated") == 2
    assert api.get("/audit/verify", "quantri").get_json()["ok"] is True


def test_publishing_is_refused_while_the_draft_has_errors(api: Api) -> None:
    package = reformed_package()
    package["files"]["process.bpmn"] = package["files"]["process.bpmn"].replace('name="specialist"', 'name="chuyen"')
    draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json=package).get_json()
    assert [p["code"] for p in draft["problems"]] == ["lane-unknown-role"]
    number = draft["version"]["number"]
    refused = api.post(f"/procedures/{HKD}/versions/{number}/publish", "quantri", json={"note": "thử"})
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["element"] == "Task_ThamDinh"
    listing = api.get(f"/procedures/{HKD}/versions", "tiepnhan").get_json()["items"]
    assert [(v["number"], v["status"]) for v in listing] == [(1, "published"), (number, "draft")]
    migration = api.post(f"/procedures/{HKD}/migrations", "quantri", json={"to_version": number})
    assert migration.status_code == 409  # running dossiers move only to published versions


def test_publish_and_migrate_from_the_command_line(api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main as cli_main

    running = submit(api)["code"]
    number = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package()).get_json()["version"]["number"]
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    assert cli_main(["procedure", "publish", HKD, str(number), "--note", "Cải cách", "--as", "quantri"]) == 0
    assert cli_main(["procedure", "migrate", HKD, "--to", str(number), "--as", "quantri"]) == 0
    assert f"can move: {running}" in capsys.readouterr().out
    assert cli_main(["procedure", "migrate", HKD, "--to", str(number), "--apply", "--as", "quantri"]) == 0
    assert f"moved: {running}" in capsys.readouterr().out
    assert cli_main(["procedure", "publish", HKD, str(number), "--note", "x", "--as", "chuyenvien"]) == 2


def test_a_draft_that_does_not_run_yet_is_stored_with_its_findings(api: Api) -> None:
    """A diagram from another modeler, not marked executable: stored as a draft (findings in Vietnamese, the
    process named), opened in the modeler, but neither published, compared, replayed nor run."""
    package = reformed_package()
    package["files"]["process.bpmn"] = package["files"]["process.bpmn"].replace('isExecutable="true"',
                                                                                'isExecutable="false"')
    resp = api.post(f"/procedures/{HKD}/drafts", "quantri", json=package)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # the process is shown by its pool: the finding names that drawn element
    assert [(p["code"], p["element"]) for p in body["problems"]] == [("process-not-executable",
                                                                      "Participant_ho_kinh_doanh")]
    assert "Executable" in body["problems"][0]["message_vi"]
    number = body["version"]["number"]
    assert body["version"]["status"] == "draft"
    assert api.post(f"/procedures/{HKD}/drafts", "quantri", json=package).get_json()["version"]["number"] == number
    stored = api.get(f"/procedures/{HKD}/versions/{number}/package", "quantri").get_json()
    assert 'isExecutable="false"' in stored["files"]["process.bpmn"]
    refused = api.post(f"/procedures/{HKD}/versions/{number}/publish", "quantri", json={"note": "thử"})
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["code"] == "process-not-executable"
    replay = api.get(f"/procedures/{HKD}/versions/{number}/what-if", "quantri")
    assert replay.status_code == 422 and replay.get_json()["problems"][0]["code"] == "draft-not-runnable"
    pages, _token = signed_in(api.client.application, "quantri")
    modeler = pages.get(f"/designer/{HKD}/versions/{number}")
    assert modeler.status_code == 200 and b"process.bpmn" in modeler.data  # drawn from its files
    for page in (f"/designer/{HKD}/diff?from=1&to={number}", f"/designer/{HKD}/versions/{number}/what-if"):
        assert pages.get(page).status_code == 422, page  # said, not a server error
    # fixed, the same draft is saved in place; it now runs (what-if) and publishes
    fixed = reformed_package()
    again = api.post(f"/procedures/{HKD}/drafts", "quantri", json=fixed).get_json()
    assert again["version"]["number"] == number and again["problems"] == []
    assert api.get(f"/procedures/{HKD}/versions/{number}/what-if", "quantri").status_code == 200
    assert api.post(f"/procedures/{HKD}/versions/{number}/publish", "quantri",
                    json={"note": "ok"}).status_code == 200


def test_a_package_that_is_not_a_diagram_is_refused_whole(api: Api) -> None:
    package = reformed_package()
    package["files"]["process.bpmn"] = "<không phải xml"
    refused = api.post(f"/procedures/{HKD}/drafts", "quantri", json=package)
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["code"] == "xml-syntax"
    listing = api.get(f"/procedures/{HKD}/versions", "quantri").get_json()["items"]
    assert [v["number"] for v in listing] == [1]


def test_a_diagram_another_tool_wrote_slightly_wrong_is_kept_as_a_draft(api: Api) -> None:
    """bpmn.io's own fixtures have `<?xml version="1.0"encoding=...` and undeclared prefixes: a modeler reads
    them, so the draft is stored (not runnable, its finding in plain words) to be fixed in the modeler; a broken
    file with a DOCTYPE is still refused whole."""
    package = reformed_package()
    bpmn = package["files"]["process.bpmn"]
    slipped = bpmn.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"encoding="UTF-8"?>', 1)
    slipped = slipped.replace("<bpmn:userTask ", "<undeclared:marker/><bpmn:userTask ", 1)
    assert slipped != bpmn
    stored = api.post(f"/procedures/{HKD}/drafts", "quantri", json={**package, "files": {
        **package["files"], "process.bpmn": slipped}})
    assert stored.status_code == 201, stored.get_json()
    number = stored.get_json()["version"]["number"]
    [finding] = [p for p in stored.get_json()["problems"] if p["code"] == "xml-syntax"]
    assert finding["severity"] == "error" and "XML" in finding["message_vi"]
    assert api.get(f"/procedures/{HKD}/versions/{number}/package", "quantri").get_json()["files"][
        "process.bpmn"] == slipped  # as written, for the modeler to read
    refused = api.post(f"/procedures/{HKD}/versions/{number}/publish", "quantri", json={"note": "thử"})
    assert refused.status_code == 422
    hostile = slipped.replace('?>', '?><!DOCTYPE d [<!ENTITY x "y">]>', 1)
    again = api.post(f"/procedures/{HKD}/drafts", "quantri", json={**package, "files": {
        **package["files"], "process.bpmn": hostile}})
    assert again.status_code == 422


def test_what_if_takes_each_channels_legal_time(api: Api, clock: FakeClock) -> None:
    """A reform that keeps the default time but gives the finished dossier's channel half a working day: the
    replay judges that dossier by its channel's time (late), not by the default (on time)."""
    clock.at("2026-03-02 09:00")
    done = submit(api)["code"]
    for at in ("2026-03-02 15:00", "2026-03-03 09:00", "2026-03-03 11:00"):
        clock.at(at)
        step(api, done)
    channel = api.get(f"/dossiers/{done}", "tatca").get_json()["channel"]
    package = reformed_package()
    toml = package["files"]["procedure.toml"]
    at = toml.index("[result]")
    package["files"]["procedure.toml"] = (toml[:at] + f'[channels.{channel}.legal_time]\nvalue = 0.5\n'
                                          'unit = "working_days"\n\n' + toml[at:])
    number = api.post(f"/procedures/{HKD}/drafts", "quantri", json=package).get_json()["version"]["number"]
    replay = api.get(f"/procedures/{HKD}/versions/{number}/what-if?months=3", "quantri").get_json()
    assert replay["legal_working_hours"] == 16  # the default, two working days
    assert replay["estimate"]["dossiers"] == 1 and replay["estimate"]["on_time_rate"] == 0.0
    plain = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package()).get_json()["version"]["number"]
    assert plain == number  # the same draft, edited in place
    assert api.get(f"/procedures/{HKD}/versions/{number}/what-if?months=3", "quantri").get_json()[
        "estimate"]["on_time_rate"] == 100.0
