"""Every variable a condition, script or timer reads is set before it, on every path: the issue's designer deleted
the approval step and validation said "no errors", though the next gateway tests what that step's form set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.procedures.packages import read_package
from engine.reform.data_flow import names
from engine.reform.validation import has_errors, validate_package

from .test_loading import edit, package_dir  # noqa: F401 (fixture)


def findings(folder: Path) -> list[dict[str, Any]]:
    return [f.as_dict() for f in validate_package(read_package(folder, folder.parent.parent / "forms"))]


def data_findings(folder: Path) -> list[dict[str, Any]]:
    return [f for f in findings(folder) if f["code"].startswith("data-")]


def delete_approval(bpmn: Path) -> None:
    """What the designer did: the leader's approval step (its form sets `phe_duyet`) is gone, its flows joined."""
    text = bpmn.read_text(encoding="utf-8")
    text = re.sub(r'<bpmn:userTask id="Task_PheDuyet".*?</bpmn:userTask>\s*', "", text, flags=re.S)
    text = text.replace('sourceRef="Task_ThamDinh" targetRef="Task_PheDuyet"',
                        'sourceRef="Task_ThamDinh" targetRef="Gateway_PheDuyet"')
    text = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_QuyetDinh"[^>]*/>', "", text)
    text = text.replace("<bpmn:incoming>Flow_QuyetDinh</bpmn:incoming>", "<bpmn:incoming>Flow_TrinhKy</bpmn:incoming>")
    text = text.replace("<bpmn:flowNodeRef>Task_PheDuyet</bpmn:flowNodeRef>", "")
    text = re.sub(r'\s*<bpmndi:BPMNShape[^>]*bpmnElement="Task_PheDuyet".*?</bpmndi:BPMNShape>', "", text, flags=re.S)
    text = re.sub(r'\s*<bpmndi:BPMNEdge[^>]*bpmnElement="Flow_QuyetDinh".*?</bpmndi:BPMNEdge>', "", text, flags=re.S)
    bpmn.write_text(text, encoding="utf-8")


def test_the_shipped_procedure_sets_everything_it_reads(package_dir: Path) -> None:  # noqa: F811
    assert data_findings(package_dir) == []


def test_deleting_the_step_that_sets_a_gateways_variable_is_an_error(package_dir: Path) -> None:  # noqa: F811
    delete_approval(package_dir / "process.bpmn")
    [found] = data_findings(package_dir)
    assert (found["code"], found["severity"], found["element"]) == ("data-unset", "error", "Gateway_PheDuyet")
    assert "“phe_duyet”" in found["message_vi"] and "Lãnh đạo đồng ý?" in found["message_vi"]
    assert "no earlier step sets it" in found["message_en"]
    assert has_errors(validate_package(read_package(package_dir, package_dir.parent.parent / "forms")))


def test_a_variable_set_on_one_branch_only_is_a_warning(package_dir: Path) -> None:  # noqa: F811
    bpmn = package_dir / "process.bpmn"
    edit(bpmn, 'ket_qua = "cap_giay_chung_nhan"', 'ket_qua = "cap_giay_chung_nhan"\nso_giay = "GCN-1"')
    edit(bpmn, '<spiffworkflow:property name="formKey" value="hkd-nhan-ket-qua" />',
         '<spiffworkflow:property name="formKey" value="hkd-nhan-ket-qua" />\n'
         '        </spiffworkflow:properties>\n        <spiffworkflow:preScript>so_tren_giay = so_giay'
         '</spiffworkflow:preScript>\n        <spiffworkflow:properties>')
    [found] = data_findings(package_dir)
    assert (found["code"], found["severity"], found["element"]) == ("data-partly-set", "warning", "Task_NhanKetQua")
    assert "“so_giay”" in found["message_vi"] and "“Lập Giấy chứng nhận đăng ký hộ kinh doanh”" in found["message_vi"]
    # set on the other branch too: nothing to say
    edit(bpmn, 'ket_qua = "tu_choi"', 'ket_qua = "tu_choi"\nso_giay = None')
    assert data_findings(package_dir) == []


def test_a_variable_from_a_form_field_nested_in_a_group_counts(package_dir: Path) -> None:  # noqa: F811
    forms = package_dir.parent.parent / "forms"
    form = forms / "hkd-phe-duyet.form"
    text = form.read_text(encoding="utf-8")
    key = '"key": "phe_duyet"'
    assert key in text
    edit(package_dir / "process.bpmn", "phe_duyet == 'dong_y'", "phe_duyet == 'dong_y' and y_kien_nhom != ''")
    assert [f["code"] for f in data_findings(package_dir)] == ["data-unset"]
    components = text.index('"components": [') + len('"components": [')
    form.write_text(text[:components] + '{"type": "group", "id": "Nhom", "label": "Nhóm", "components": ['
                    '{"type": "textfield", "id": "Field_nhom", "key": "y_kien_nhom", "label": "Ý kiến"}]},'
                    + text[components:], encoding="utf-8")
    assert data_findings(package_dir) == []


def test_a_loop_back_does_not_hide_a_missing_variable(package_dir: Path) -> None:  # noqa: F811
    # the specialist's appraisal reads the leader's decision: set only when sent back, not the first time
    edit(package_dir / "process.bpmn", '<spiffworkflow:property name="formKey" value="hkd-tham-dinh" />',
         '<spiffworkflow:property name="formKey" value="hkd-tham-dinh" />\n        </spiffworkflow:properties>\n'
         '        <spiffworkflow:preScript>lan_truoc = phe_duyet</spiffworkflow:preScript>\n'
         '        <spiffworkflow:properties>')
    [found] = data_findings(package_dir)
    assert (found["code"], found["element"]) == ("data-partly-set", "Task_ThamDinh")


def test_names_read_by_python() -> None:
    read, bound = names("x = a + len(b)\nfor i in range(n):\n    y = [j for j in c]\nz = x + floor(d)")
    assert read == {"a", "b", "n", "c", "d"} and {"x", "i", "y", "j", "z"} <= bound
    assert names("approved == True and amount > limit", "eval")[0] == {"approved", "amount", "limit"}
    assert names("x = x + 1")[0] == {"x"} and names("v += 1")[0] == {"v"}  # read before they are bound
    assert names("for i in range(3):\n    t = i\nu = t + (lambda q: q)(1)")[0] == set()
    assert names("x = = 1") == (set(), set())  # compiling reports the syntax
