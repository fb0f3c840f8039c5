"""A reception officer finds dossiers in the register (a name typed without diacritics, a status filter) and
downloads the result as CSV (form 07), in Chromium, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ..conftest import Api
from ..test_flow import PATHS
from ..test_lifecycle import act
from .conftest import LiveServer, login

pytestmark = pytest.mark.browser
HKD = "ho-kinh-doanh"


def _submit(api: Api, user: str, name: str, id_number: str) -> str:
    resp = api.post("/dossiers", user, json={
        "procedure": HKD, "applicant": {**PATHS[HKD]["applicant"], "name": name, "id_number": id_number},
        "data": PATHS[HKD]["start"]})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])


def test_a_register_search_and_its_csv(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    api = Api(live_server.app.test_client())
    found = _submit(api, "tiepnhan", "Đặng Thị Xuân Mai", "096199001122")
    refused = _submit(api, "tiepnhan", "Đặng Thị Xuân Lan", "096199001133")
    assert act(api, refused, "stop", "tatca", reason="Công dân đề nghị dừng").status_code == 200
    _submit(api, "tiepnhan", "Võ Văn Kiệt", "096199001144")

    login(page, "tiepnhan", "/inbox")
    page.click("[data-nav=register]")
    page.wait_for_selector("[data-page=register]")
    page.fill("input[name=q]", "dang thi xuan")  # no diacritics
    page.click("[data-search]")
    page.wait_for_selector(f"tr[data-dossier='{found}']")
    expect(page.locator("[data-register] tbody tr")).to_have_count(2)
    assert page.locator("[data-total]").get_attribute("data-total") == "2"
    expect(page.locator(f"tr[data-dossier='{refused}'] [data-status]")).to_have_attribute("data-status", "stopped")

    page.select_option("select[name=status]", "stopped")
    page.click("[data-search]")
    page.wait_for_selector(f"tr[data-dossier='{refused}']")
    expect(page.locator("[data-register] tbody tr")).to_have_count(1)
    assert page.locator("input[name=q]").input_value() == "dang thi xuan"  # the search is kept

    with page.expect_download() as download:
        page.click("[data-export=register]")
    path = tmp_path / "register.csv"
    download.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 that Excel recognises
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert header[:2] == ["STT", "Mã hồ sơ"] and header[-1] == "Ghi chú"
    assert [(r[0], r[1], r[4]) for r in rows] == [("1", refused, "Đặng Thị Xuân Lan")]
    assert rows[0][-1].startswith("Dừng xử lý")

    page.click(f"tr[data-dossier='{refused}'] a")  # on to the dossier itself
    page.wait_for_url(f"**/dossiers/{refused}")
    assert not page.js_errors
