"""The diff a reform officer reads before publishing: steps, lanes, budgets, legal time, documents,
form fields and fee, as data and as lines in Vietnamese and English."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as cli_main
from engine.procedures.packages import read_package
from engine.procedures.specs import compile_package
from engine.reform.diff import describe, diff

from .conftest import Api
from .test_loading import edit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reform(tmp_path: Path) -> tuple[Path, Path]:
    """A reform of the household-business procedure: fewer documents, fewer days, one step renamed and
    moved to the leader, a cheaper fee and a form field dropped."""
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    old = ROOT / "processes" / "ho-kinh-doanh"
    new = tmp_path / "processes" / "ho-kinh-doanh"
    shutil.copytree(old, new)
    toml = new / "procedure.toml"
    edit(toml, "value = 3\n", "value = 2\n")
    edit(toml, "amount = 100000", "amount = 50000")
    text = toml.read_text(encoding="utf-8")
    start = text.index('[[documents]]\ncode = "van-ban-uy-quyen-nop-ho-so"')
    end = text.index("[result]")
    toml.write_text(text[:start] + text[end:], encoding="utf-8")
    edit(new / "process.bpmn", 'name="Thẩm định hồ sơ, dự thảo kết quả"', 'name="Thẩm định và dự thảo"')
    edit(new / "process.bpmn", 'value="PT12H"', 'value="PT8H"')
    form = tmp_path / "forms" / "hkd-nhan-ket-qua.form"
    text = form.read_text(encoding="utf-8")
    form.write_text(text.replace('"key": "ghi_chu_nhan_ket_qua"', '"key": "ghi_chu_tra"'), encoding="utf-8")
    return old, new


def test_diff_as_data_and_text(reform: tuple[Path, Path]) -> None:
    old, new = reform
    forms = new.parent.parent / "forms"
    change = diff(compile_package(read_package(old, ROOT / "forms")), compile_package(read_package(new, forms)))
    assert change["steps"]["renamed"] == [{"id": "Task_ThamDinh", "name": "Thẩm định và dự thảo",
                                           "from": "Thẩm định hồ sơ, dự thảo kết quả", "to": "Thẩm định và dự thảo"}]
    assert change["steps"]["budget_changed"][0]["from"] == "PT12H" and change["steps"]["added"] == []
    assert change["legal_time"] == {"from": {"value": 3.0, "unit": "working_days"},
                                    "to": {"value": 2.0, "unit": "working_days"}}
    assert len(change["documents"]["removed"]) == 1 and change["documents"]["added"] == []
    assert change["form_fields"] == {"hkd-nhan-ket-qua": {"added": ["ghi_chu_tra"],
                                                          "removed": ["ghi_chu_nhan_ket_qua"]}}
    assert change["fee"] == {"from": 100000, "to": 50000}
    text = describe(change)
    assert "Thời hạn giải quyết: 3 ngày làm việc → 2 ngày làm việc" in text["vi"]
    assert "Fee: 100,000 → 50,000 VND" in text["en"]
    assert any(line.startswith("Bỏ thành phần hồ sơ: Văn bản ủy quyền") for line in text["vi"])


def test_diff_of_channels_and_document_terms(reform: tuple[Path, Path]) -> None:
    """A reform that only gives online dossiers a shorter time and a lower fee, and asks a certified copy where a
    plain copy did: the diff says so per channel and per document, though the defaults did not move."""
    old, new = reform
    toml = new / "procedure.toml"
    edit(toml, "value = 2\n", "value = 3\n")  # the fixture's shorter default time and cheaper fee undone
    edit(toml, "amount = 50000", "amount = 100000")
    text = toml.read_text(encoding="utf-8")
    text = text.replace('code = "bien-ban-hop-thanh-vien"', 'code = "bien-ban-hop-thanh-vien"\nkind = "certified_copy"')
    start = text.index("[result]")
    text = (text[:start] + '[channels.online.legal_time]\nvalue = 2\nunit = "working_days"\n\n'
            '[channels.online.fee]\namount = 50000\n\n' + text[start:])
    toml.write_text(text, encoding="utf-8")
    forms = new.parent.parent / "forms"
    change = diff(compile_package(read_package(old, ROOT / "forms")), compile_package(read_package(new, forms)))
    assert change["legal_time"] is None and change["fee"] is None
    assert change["channels"] == {"online": {
        "from": {"value": 3.0, "unit": "working_days", "cutoff": None, "fee": 100000},
        "to": {"value": 2.0, "unit": "working_days", "cutoff": None, "fee": 50000}}}
    [doc] = change["documents"]["changed"]
    assert doc["from"]["kind"] == "copy" and doc["to"]["kind"] == "certified_copy"
    text = describe(change)
    assert "Nộp trực tuyến: 3 ngày làm việc, 100.000 đồng → 2 ngày làm việc, 50.000 đồng" in text["vi"]
    assert "Submitted online: 3 working days, 100,000 VND → 2 working days, 50,000 VND" in text["en"]
    assert any(line.startswith("Đổi yêu cầu giấy tờ") and "bản sao chứng thực" in line for line in text["vi"])


def test_diff_through_the_cli(reform: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = reform
    forms = new.parent.parent / "forms"
    assert cli_main(["procedure", "diff", str(old), str(new), "--forms", str(forms), "--english"]) == 0
    out = capsys.readouterr().out
    assert "- Step renamed “Thẩm định và dự thảo”" in out and "- Legal time: 3 working days" in out


def test_diff_of_stored_versions_through_the_api(app_factory: Any, reform: tuple[Path, Path]) -> None:
    _old, new = reform
    forms = new.parent.parent / "forms"
    api = Api(app_factory().test_client())
    Api(app_factory(processes_dir=new.parent, forms_dir=forms).test_client())  # loads version 2
    resp = api.get("/procedures/ho-kinh-doanh/diff?from=1&to=2", "lanhdao")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["from_version"], body["to_version"]) == (1, 2) and body["fee"] == {"from": 100000, "to": 50000}
    assert api.get("/procedures/ho-kinh-doanh/diff?from=1&to=9", "lanhdao").status_code == 404
    assert api.get("/procedures/ho-kinh-doanh/diff?from=1&to=2", "chuyenvien").status_code == 403
