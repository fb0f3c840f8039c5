"""The diagram's structure as BPMN runs it (tests/data/bpmn): what a designer drew on purpose is not called
unreachable or a dead end; what is wrong inside a sub-process is found as at the top level; what Motcua does not
run (data stores, Camunda form fields, other modelers' diagram extensions) is a warning, not a block; every
finding names an element the page can highlight."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.procedures.packages import read_package
from engine.reform.validation import has_errors, validate_package

from .test_loading import edit, package_dir  # noqa: F401 (fixture)

BPMN = Path(__file__).parent / "data" / "bpmn"
STRUCTURAL = {"unreachable", "dead-end"}


def with_diagram(folder: Path, name: str, process_id: str) -> list[dict[str, Any]]:
    """The household-business package with this diagram in place of its own, as a designer importing it."""
    (folder / "process.bpmn").write_text((BPMN / name).read_text(encoding="utf-8"), encoding="utf-8")
    toml = folder / "procedure.toml"
    toml.write_text(re.sub(r'(?m)^process_id = ".*"$', f'process_id = "{process_id}"',
                           toml.read_text(encoding="utf-8")), encoding="utf-8")
    return [f.as_dict() for f in validate_package(read_package(folder, folder.parent.parent / "forms"))]


def test_valid_constructs_are_not_structural_errors(package_dir: Path) -> None:  # noqa: F811
    found = with_diagram(package_dir, "valid-constructs.bpmn", "hop_le")
    assert [f for f in found if f["code"] in STRUCTURAL] == []
    # other modelers' namespaced extensions in the diagram interchange are not schema errors either
    assert not [f for f in found if f["code"].startswith("schema-")], found
    # the ad-hoc sub-process's activities end without flows; nothing there is even an implicit end
    assert not {f["element"] for f in found if f["code"] == "implicit-end"} & {"AdHoc_X", "AdHoc_Y"}


def test_a_disconnected_task_is_still_unreachable_in_such_a_diagram(package_dir: Path) -> None:  # noqa: F811
    bpmn = BPMN / "valid-constructs.bpmn"
    target = package_dir.parent / "extra.bpmn"
    target.write_text(bpmn.read_text(encoding="utf-8").replace(
        '<bpmn:sequenceFlow id="F1"', '<bpmn:task id="Task_Le" name="Bước lẻ" /><bpmn:sequenceFlow id="F1"'),
        encoding="utf-8")
    (package_dir / "process.bpmn").write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
    edit(package_dir / "procedure.toml", 'process_id = "ho_kinh_doanh"', 'process_id = "hop_le"')
    found = [f.as_dict() for f in validate_package(read_package(package_dir, package_dir.parent.parent / "forms"))]
    unreachable = [f for f in found if f["code"] == "unreachable"]
    assert len(unreachable) == 1 and "Bước lẻ" in unreachable[0]["message_vi"]
    assert unreachable[0]["element"] == "hop_le"  # not drawn, nor anything holding it: the process


def test_sub_process_contents_are_validated_like_the_top_level(package_dir: Path) -> None:  # noqa: F811
    found = with_diagram(package_dir, "subprocess-mistakes.bpmn", "quy_trinh_con")
    by_code = {(f["code"], f.get("element"), f["severity"]) for f in found}
    assert ("task-no-lane", "Sub_ThamDinh", "error") in by_code  # the user task inside the sub-process
    assert ("unreachable", "Sub_XuLy", "error") in by_code  # Sub_Thua, not drawn: its drawn sub-process
    assert ("dead-end", "Gateway_Cut", "error") in by_code
    assert has_errors(validate_package(read_package(package_dir, package_dir.parent.parent / "forms")))
    sub_thua = next(f for f in found if f["code"] == "unreachable" and f["element"] == "Sub_XuLy")
    assert "Bước thừa trong quy trình con" in sub_thua["message_vi"]


def test_lane_of_a_sub_process_is_its_contents_role(package_dir: Path) -> None:  # noqa: F811
    found = with_diagram(package_dir, "subprocess-mistakes.bpmn", "quy_trinh_con")
    assert any(f["code"] == "task-no-lane" for f in found)
    edit(package_dir / "process.bpmn", "<bpmn:flowNodeRef>End_1</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>End_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Sub_XuLy</bpmn:flowNodeRef>")
    found = [f.as_dict() for f in validate_package(read_package(package_dir, package_dir.parent.parent / "forms"))]
    assert not any(f["code"] == "task-no-lane" for f in found)  # SpiffWorkflow hands the lane down


def test_data_stores_and_camunda_forms_warn_and_do_not_block(package_dir: Path) -> None:  # noqa: F811
    found = with_diagram(package_dir, "subprocess-mistakes.bpmn", "quy_trinh_con")
    store = [f for f in found if f["code"] == "data-store-ignored"]
    assert [(f["element"], f["severity"]) for f in store] == [("DataStoreRef_1", "warning")]
    assert not [f for f in found if f["code"] == "data-store-unsupported"]  # the parser no longer refuses it
    camunda = [f for f in found if f["code"] == "camunda-form-ignored"]
    assert [(f["element"], f["severity"]) for f in camunda] == [("Task_TiepNhan", "warning")]
    assert "“so_to”, “ghi_chu”" in camunda[0]["message_vi"] and "formKey" in camunda[0]["message_en"]


def test_xml_comments_inside_a_task_do_not_trip_the_parser(package_dir: Path) -> None:  # noqa: F811
    edit(package_dir / "process.bpmn", '<bpmn:script>ket_qua = "tu_choi"',
         '<!-- <bpmn:dataOutputAssociation /> --><bpmn:script>ket_qua = "tu_choi"')
    assert validate_package(read_package(package_dir, package_dir.parent.parent / "forms")) == []
