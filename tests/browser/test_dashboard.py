"""A leader reads the dashboard, a dossier goes through the REST API, and the figure changes on reload."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.time.clock import LOCAL_TZ

from ..conftest import Api
from ..test_flow import run_to_end, submit
from .conftest import LiveServer, login

pytestmark = pytest.mark.browser


def _month_cell(page: Any, column: str) -> int:
    month = datetime.now(LOCAL_TZ).strftime("%Y-%m")
    return int(page.locator(f"[data-table=month] tr[data-key='{month}'] [data-col={column}]").inner_text())


def _charts_drawn(page: Any) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('canvas[data-chart]')]
        .filter((c) => window.Chart.getChart(c) && c.width > 0).map((c) => c.dataset.chart)""")


def test_a_leader_sees_the_figure_change(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    login(page, "lanhdao", "/dashboard/")
    page.wait_for_selector("[data-page=dashboard]")
    received, processed = _month_cell(page, "received"), _month_cell(page, "processed")
    kpi = int(page.locator("[data-kpi=received] .value").inner_text())
    assert kpi == received  # this month: the tile and the month's row agree
    assert sorted(_charts_drawn(page)) == ["month", "procedure", "unit"]

    api = Api(live_server.app.test_client())
    created = submit(api, "ho-kinh-doanh")
    run_to_end(api, "ho-kinh-doanh", created["code"])

    page.reload()
    assert _month_cell(page, "received") == received + 1
    assert _month_cell(page, "processed") == processed + 1
    assert int(page.locator("[data-kpi=received] .value").inner_text()) == kpi + 1
    on_time = page.locator("[data-table=procedure] tr[data-key='ho-kinh-doanh'] [data-col=on_time_rate]")
    assert on_time.get_attribute("data-value") == "100.0" and on_time.inner_text() == "100,0 %"
    assert sorted(_charts_drawn(page)) == ["month", "procedure", "unit"]

    with page.expect_download() as download:
        page.click("[data-export=month]")
    path = tmp_path / "month.csv"
    download.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert header[:3] == ["Tháng", "Kỳ", "Tiếp nhận"]
    month = datetime.now(LOCAL_TZ).strftime("%Y-%m")
    row = next(r for r in rows if r[0] == month)
    assert int(row[2]) == received + 1
    assert not page.js_errors


def test_custom_dates_show_only_when_chosen_and_errors_keep_the_input(page: Any) -> None:
    login(page, "lanhdao", "/dashboard/")
    expect(page.locator("input[name=from]")).to_be_hidden()
    page.select_option("[data-period]", "custom")
    expect(page.locator("input[name=from]")).to_be_visible()
    page.fill("input[name=from]", "2026-03-10")
    page.fill("input[name=to]", "2026-03-01")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_selector("[data-error-for=to]")
    assert page.locator("input[name=from]").input_value() == "2026-03-10"  # nothing typed is lost
    expect(page.locator("input[name=from]")).to_be_visible()
    page.fill("input[name=to]", "2026-03-31")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_selector("[data-period-line]")
    assert "01/03/2026" not in page.locator("[data-period-line]").inner_text()
    assert "10/03/2026 – 31/03/2026" in page.locator("[data-period-line]").inner_text()
    assert not page.js_errors
