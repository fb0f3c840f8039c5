"""The national catalogue in the browser: a designer opens the page from the header, uploads a file of records
(a new procedure, a reform of a shipped one, an unreadable record), reads what became of each, and reaches the
reform's diff in one click."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import login

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
RECORDS = json.loads((ROOT / "config" / "catalogue" / "thu-tuc-cap-xa.json").read_text("utf-8"))


def test_a_reform_from_the_national_level_is_one_click_from_its_diff(page: Any, live_server: Any,
                                                                     tmp_path: Path) -> None:
    birth = next(r for r in RECORDS if r["MATTHC"] == "1.001193")  # shipped in processes/, published
    birth["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0]["SOTIEN"] = 5000  # the counter's fee changes
    new = next(r for r in RECORDS if r["MATTHC"] == "2.000884")
    upload = tmp_path / "danh-muc.json"
    upload.write_text(json.dumps([birth, new, {"TENTTHC": "Không có mã"}], ensure_ascii=False), "utf-8")
    login(page, "thietke", "/designer/")
    page.click("[data-nav=catalogue]")
    page.wait_for_selector("[data-page=designer-catalogue]")
    page.set_input_files("input[name=catalogue]", str(upload))
    page.click("[data-form=catalogue] button[type=submit]")
    page.wait_for_selector("[data-results]")
    assert page.get_attribute("[data-record='2.000884']", "data-status") == "created"
    assert page.get_attribute("[data-record='1.001193']", "data-status") == "new_draft"
    assert "Thiếu mã thủ tục hành chính (MATTHC)." in page.inner_text("[data-status=refused]")
    page.click("[data-record='1.001193'] [data-link=diff]")
    page.wait_for_selector("[data-page=designer-diff]")
    assert "/designer/tthc-1-001193/diff" in page.url
    text = page.inner_text("main")
    assert "5.000" in text or "5000" in text
