"""Each validation rule, pinned with a broken copy of a shipped procedure; the API and the CLI agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as cli_main
from engine.procedures.packages import read_package
from engine.reform.validation import has_errors, validate_package

from .conftest import Api
from .test_loading import edit, package_dir  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent


def findings(folder: Path) -> list[dict[str, Any]]:
    return [f.as_dict() for f in validate_package(read_package(folder, folder.parent.parent / "forms"))]


def codes(folder: Path) -> set[tuple[str, str | None]]:
    return {(f["code"], f.get("element")) for f in findings(folder)}


def test_shipped_procedures_are_valid() -> None:
    for folder in (ROOT / "processes").iterdir():
        assert validate_package(read_package(folder, ROOT / "forms")) == [], folder.name


def test_task_without_lane(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", "<bpmn:flowNodeRef>Task_ThamDinh</bpmn:flowNodeRef>", "")
    assert ("task-no-lane", "Task_ThamDinh") in codes(package_dir)


def test_lane_naming_no_known_role(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", 'name="specialist"', 'name="chuyen-gia"')
    found = [f for f in findings(package_dir) if f["code"] == "lane-unknown-role"]
    assert found[0]["element"] == "Task_ThamDinh" and found[0]["severity"] == "error"
    assert "chuyen-gia" in found[0]["message_vi"] and "known role" in found[0]["message_en"]


def test_step_without_budget_is_a_warning(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", '<spiffworkflow:property name="timeBudget" value="PT4H" />', "")
    found = [f for f in findings(package_dir) if f["code"] == "step-no-budget"]
    assert len(found) == 1 and found[0]["severity"] == "warning"
    assert not has_errors(validate_package(read_package(package_dir, package_dir.parent.parent / "forms")))


def test_bad_budget(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", 'value="PT12H"', 'value="12 giờ"')
    assert ("step-bad-budget", "Task_ThamDinh") in codes(package_dir)


def test_budgets_exceeding_the_legal_time(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", 'value="PT12H"', 'value="P3D"')  # 24 + 4 + 4 h > 3 working days
    found = [f for f in findings(package_dir) if f["code"] == "budget-exceeds-legal"]
    assert found and "32" in found[0]["message_en"] and "24" in found[0]["message_en"]


def test_missing_form(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", 'value="hkd-phe-duyet"', 'value="khong-co"')
    assert ("form-unknown", "Task_PheDuyet") in codes(package_dir)


def test_unreachable_element_and_dead_end(package_dir: Path) -> None:  # noqa: F811
    bpmn = package_dir / "process.bpmn"
    edit(bpmn, '<bpmn:endEvent id="EndEvent_CoKetQua"', '<bpmn:userTask id="Task_ThuaRa" name="Bước thừa">'
         '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="timeBudget" '
         'value="PT1H" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n'
         '    <bpmn:endEvent id="EndEvent_CoKetQua"')
    edit(bpmn, "<bpmn:flowNodeRef>Task_NhanKetQua</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>Task_NhanKetQua</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_ThuaRa</bpmn:flowNodeRef>")
    # not drawn: the finding names the nearest drawn element holding it, here the pool
    found = [f for f in findings(package_dir) if f["code"] in ("unreachable", "implicit-end")]
    assert {(f["code"], f["element"], f["severity"]) for f in found} == {
        ("unreachable", "Participant_ho_kinh_doanh", "error"), ("implicit-end", "Participant_ho_kinh_doanh", "warning")}
    assert all("Bước thừa" in f["message_vi"] and "connect" in f["message_en"].lower() for f in found)
    edit(bpmn, '<bpmndi:BPMNShape id="Lane_reception_di"', '<bpmndi:BPMNShape id="Task_ThuaRa_di" '
         'bpmnElement="Task_ThuaRa"><dc:Bounds x="900" y="400" width="100" height="80" /></bpmndi:BPMNShape>'
         '<bpmndi:BPMNShape id="Lane_reception_di"')
    found = codes(package_dir)
    assert ("unreachable", "Task_ThuaRa") in found and ("implicit-end", "Task_ThuaRa") in found


def test_gateway_without_default_and_complete_conditions(package_dir: Path) -> None:  # noqa: F811
    bpmn = package_dir / "process.bpmn"
    edit(bpmn, ' default="Flow_KhongDuDieuKien"', "")
    assert ("gateway-incomplete", "Gateway_KetQua") in codes(package_dir)
    edit(bpmn, '<bpmn:sequenceFlow id="Flow_KhongDuDieuKien" sourceRef="Gateway_KetQua" '
               'targetRef="Script_LapThongBaoTuChoi" name="Không đủ điều kiện" />',
         '<bpmn:sequenceFlow id="Flow_KhongDuDieuKien" sourceRef="Gateway_KetQua" '
         'targetRef="Script_LapThongBaoTuChoi" name="Không đủ điều kiện"><bpmn:conditionExpression>'
         'dat_dieu_kien == False</bpmn:conditionExpression></bpmn:sequenceFlow>')
    found = [f for f in findings(package_dir) if f.get("element") == "Gateway_KetQua"]
    assert [(f["code"], f["severity"]) for f in found] == [("gateway-no-default", "warning")]


def test_script_rejected_by_the_sandbox(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", 'ket_qua = "cap_giay_chung_nhan"', "import os")
    assert ("script-rejected", "Script_LapGiayChungNhan") in codes(package_dir)


VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệịọỏốồổộớờởợụủứừửựỳỷỹ]")


def _only(folder: Path) -> dict[str, Any]:
    [found] = findings(folder)
    assert VIETNAMESE.search(found["message_vi"]), found  # said in Vietnamese
    for raw in ("{http://", "(<string>", "Traceback", "object at 0x"):
        assert raw not in found["message_vi"] + found["message_en"], found
    return found


def test_xsd_and_parse_errors_are_said_in_plain_words_and_point_at_the_element(package_dir: Path  # noqa: F811
                                                                              ) -> None:
    bpmn = package_dir / "process.bpmn"
    original = bpmn.read_text(encoding="utf-8")
    edit(bpmn, '<bpmn:userTask id="Task_ThamDinh"', '<bpmn:userTask oops="1" id="Task_ThamDinh"')
    found = _only(package_dir)
    assert (found["code"], found["element"]) == ("schema-unknown-attribute", "Task_ThamDinh")
    assert "“oops”" in found["message_vi"] and "<userTask>" in found["message_en"]
    bpmn.write_text(original.replace(' targetNamespace="http://bpmn.io/schema/bpmn"', ""), encoding="utf-8")
    found = _only(package_dir)
    assert found["code"] == "schema-missing-attribute" and "targetNamespace" in found["message_vi"]
    bpmn.write_text(original.replace('isExecutable="true"', 'isExecutable="false"'), encoding="utf-8")
    found = _only(package_dir)
    assert (found["code"], found["element"]) == ("process-not-executable", "Participant_ho_kinh_doanh")  # its pool
    assert "Executable" in found["message_vi"] and "tick" in found["message_en"]
    bpmn.write_text(original.replace('<bpmn:process id="ho_kinh_doanh"', '<bpmn:process id="quy_trinh_khac"'),
                    encoding="utf-8")
    found = _only(package_dir)
    assert found["code"] == "process-not-found" and "quy_trinh_khac" in found["message_vi"]
    bpmn.write_text("<không phải xml", encoding="utf-8")
    found = _only(package_dir)
    assert found["code"] == "xml-syntax" and "dòng 1" in found["message_vi"]


def test_an_engine_message_not_known_yet_is_framed_in_vietnamese_with_its_element() -> None:
    from engine.errors import Problem
    from engine.reform.parser_findings import explain

    said = explain(Problem("bpmn-invalid", "process.bpmn: Something new went wrong", element="Task_X"))
    assert (said.code, said.element) == ("bpmn-invalid", "Task_X")
    assert said.message_vi.startswith("Sơ đồ có chỗ bộ máy quy trình không chấp nhận (phần tử “Task_X”)")
    assert "Something new went wrong" in said.message_en
    assert explain(Problem("lane-unknown-role", "as written")).message_vi == "as written"  # Motcua's own


def test_api_and_cli_give_the_same_answer(api: Api, package_dir: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
                                          ) -> None:
    edit(package_dir / "process.bpmn", 'name="specialist"', 'name="chuyen-gia"')
    forms_dir = package_dir.parent.parent / "forms"
    package = read_package(package_dir, forms_dir)
    body = {"code": package.code, "files": package.text_files(), "forms": package.forms}
    assert api.post("/procedures/validate", "chuyenvien", json=body).status_code == 403
    resp = api.post("/procedures/validate", "quantri", json=body).get_json()
    assert resp["valid"] is False and resp["problems"][0]["code"] == "lane-unknown-role"
    assert cli_main(["procedure", "validate", str(package_dir), "--forms", str(forms_dir), "--english"]) == 1
    assert "lane-unknown-role [Task_ThamDinh]" in capsys.readouterr().out
    assert cli_main(["procedure", "validate", str(ROOT / "processes" / "gpxd-nha-o")]) == 0
