"""Procedure packages: every load error is reported, hostile XML and scripts never get through,
and versions are content-hashed so running dossiers keep theirs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as cli_main
from engine.errors import InvalidPackage
from engine.procedures.packages import read_package
from engine.procedures.specs import compile_package

from .conftest import Api
from .test_flow import open_task, run_to_end, submit

ROOT = Path(__file__).resolve().parent.parent
HKD = ROOT / "processes" / "ho-kinh-doanh"


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    """A writable copy of the household-business package, with the forms beside it."""
    shutil.copytree(HKD, tmp_path / "processes" / "ho-kinh-doanh")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path / "processes" / "ho-kinh-doanh"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(folder: Path) -> list[dict[str, Any]]:
    with pytest.raises(InvalidPackage) as info:
        compile_package(read_package(folder, folder.parent.parent / "forms"))
    return [p.as_dict() for p in info.value.problems]


def test_shipped_packages_compile() -> None:
    for folder in (ROOT / "processes").iterdir():
        compiled = compile_package(read_package(folder, ROOT / "forms"))
        assert compiled.steps and compiled.start_form
        assert {s.role for s in compiled.steps.values()} == {"reception", "specialist", "leader"}
        assert all(s.form_key in compiled.forms for s in compiled.steps.values())


def test_malformed_xml(package_dir: Path) -> None:
    (package_dir / "process.bpmn").write_text("<bpmn:definitions><unclosed>", encoding="utf-8")
    [problem] = problems_of(package_dir)
    assert problem["code"] == "xml-syntax" and problem["file"] == "process.bpmn"


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE d [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil.dtd">]>',
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY xxe "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
])
def test_entities_are_never_resolved(package_dir: Path, doctype: str) -> None:
    bpmn = package_dir / "process.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    bpmn.write_text(f"{header}\n{doctype}\n{rest.replace('Tiếp nhận, kiểm tra hồ sơ', '&xxe;', 1)}",
                    encoding="utf-8")
    problems = problems_of(package_dir)
    assert problems[0]["code"] in ("xml-doctype", "xml-syntax")
    assert "root:" not in str(problems)


def test_xsd_violation_is_reported(package_dir: Path) -> None:
    edit(package_dir / "process.bpmn", '<bpmn:userTask id="Task_ThamDinh"',
         '<bpmn:userTask bogus="1" id="Task_ThamDinh"')
    [problem] = problems_of(package_dir)
    assert problem["code"] == "bpmn-invalid" and "bogus" in problem["message"]


def test_unknown_form_is_reported_with_its_element(package_dir: Path) -> None:
    edit(package_dir / "process.bpmn", 'value="hkd-tham-dinh"', 'value="khong-co-bieu-mau"')
    problems = problems_of(package_dir)
    assert {(p["code"], p.get("element")) for p in problems} == {("form-unknown", "Task_ThamDinh")}


def test_invalid_form_definition_is_reported(package_dir: Path) -> None:
    forms = package_dir.parent.parent / "forms"
    edit(forms / "hkd-tham-dinh.form", '"type": "textarea"', '"type": "hologram"')
    assert "form-unknown-component" in {p["code"] for p in problems_of(package_dir)}


@pytest.mark.parametrize(("old", "new", "field"), [
    ('unit = "working_days"', 'unit = "fortnights"', "legal_time.unit"),
    ('level = "commune"', 'level = "galaxy"', "level"),
    ('value = 3', 'value = -3', "legal_time.value"),
    ('[result]', '[reslt]', "reslt"),
])
def test_bad_metadata_is_reported_by_field(package_dir: Path, old: str, new: str, field: str) -> None:
    edit(package_dir / "procedure.toml", old, new)
    fields = {p.get("field") for p in problems_of(package_dir)}
    assert field in fields


def test_metadata_syntax_error(package_dir: Path) -> None:
    (package_dir / "procedure.toml").write_text("code = \n[[", encoding="utf-8")
    assert problems_of(package_dir)[0]["code"] == "metadata-syntax"


@pytest.mark.parametrize("script", [
    "import os\nos.system('id')",
    "ket_qua = ().__class__.__mro__[1].__subclasses__()",
    "ket_qua = open('/etc/passwd').read() if False else __builtins__",
    "while True:\n    pass",
])
def test_hostile_script_is_rejected_at_load(package_dir: Path, script: str) -> None:
    edit(package_dir / "process.bpmn", 'ket_qua = "cap_giay_chung_nhan"', script.replace("<", "&lt;"))
    problems = problems_of(package_dir)
    assert {(p["code"], p["element"]) for p in problems} == {("script-rejected", "Script_LapGiayChungNhan")}


def test_hostile_condition_is_rejected_at_load(package_dir: Path) -> None:
    edit(package_dir / "process.bpmn", "phe_duyet == 'dong_y'", "__import__('os').system('id')")
    assert {p["code"] for p in problems_of(package_dir)} == {"script-rejected"}


# --- versions (database) -----------------------------------------------------------------------------
def test_versions_are_content_hashed_and_dossiers_keep_theirs(app_factory: Any, package_dir: Path) -> None:
    processes, forms = package_dir.parent, package_dir.parent.parent / "forms"
    api = Api(app_factory(processes_dir=processes, forms_dir=forms).test_client())
    running = submit(api, "ho-kinh-doanh")["code"]
    v1 = api.get("/procedures/ho-kinh-doanh").get_json()

    # loading the unchanged folder again makes no version
    api2 = Api(app_factory(processes_dir=processes, forms_dir=forms).test_client())
    assert api2.get("/procedures/ho-kinh-doanh").get_json()["version"] == 1

    # a reform: the specialist step is renamed and a form field becomes required
    edit(package_dir / "process.bpmn", 'name="Thẩm định hồ sơ, dự thảo kết quả"', 'name="Thẩm định nhanh"')
    api3 = Api(app_factory(processes_dir=processes, forms_dir=forms).test_client())
    v2 = api3.get("/procedures/ho-kinh-doanh").get_json()
    assert v2["version"] == 2 and v2["content_hash"] != v1["content_hash"]
    assert "Thẩm định nhanh" in [s["name"] for s in v2["steps"]]

    new = submit(api3, "ho-kinh-doanh")["code"]
    assert api3.get(f"/dossiers/{running}", "tiepnhan").get_json()["procedure_version"] != \
        api3.get(f"/dossiers/{new}", "tiepnhan").get_json()["procedure_version"]
    # the running dossier finishes on version 1, with version 1's step names
    run_to_end(api3, "ho-kinh-doanh", running)
    old_steps = api3.get(f"/dossiers/{running}", "tiepnhan").get_json()["steps"]
    assert "Thẩm định hồ sơ, dự thảo kết quả" in [s["name"] for s in old_steps]
    assert open_task(api3, new)["bpmn_id"] == "Task_ThamDinh"


def test_cli_load_reports_failures_and_exit_code(database_url: str, package_dir: Path, monkeypatch:
                                                 pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_FORMS_DIR", str(package_dir.parent.parent / "forms"))
    edit(package_dir / "process.bpmn", 'value="hkd-tham-dinh"', 'value="khong-co"')
    assert cli_main(["procedures", "load", "--dir", str(package_dir.parent)]) == 1
    assert "form-unknown" in capsys.readouterr().err
