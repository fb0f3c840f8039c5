"""The leader dashboard and its CSV exports, against a seeded March 2026 (SQLite and PostgreSQL).

Seeded (local times), and looked at on 10 April 2026:
  A1 ho-kinh-doanh, counter at CM-AX, received 2 Mar 09:00, processed 3 Mar (early), paid online, rated 3
  A2 ho-kinh-doanh, online at CM-AX, received 2 Mar 09:00 (due 5 Mar 17:00), processed 9 Mar (late)
  A3 gpxd-nha-o, counter at CM-AX, received 3 Mar 09:00, due 24 Mar 17:00, still open -> overdue
  T1 ho-kinh-doanh, counter at CM-TT, received 3 Mar 09:00, due 6 Mar 17:00, still open -> overdue
The escalation sweep has run on 10 April, so the open steps carry open escalations.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.people.organisation import create_user
from engine.reporting.reports import FIGURE_COLUMNS
from engine.scheduling.escalation import sweep

from .conftest import PASSWORD, Api, FakeClock
from .payment_support import pay_online
from .test_flow import PATHS, run_to_end
from .test_lifecycle import act, submit

MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
MARCH_QS = "period=custom&from=2026-03-01&to=2026-03-31"


@dataclass
class Seeded:
    app: Flask
    api: Api
    codes: dict[str, str]

    def page_client(self, username: str) -> FlaskClient:
        """A browser-like client signed in through the login form."""
        client = self.app.test_client()
        token = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/login").data)
        assert token
        signed = client.post("/login", data={"csrf_token": token.group(1).decode(), "username": username,
                                             "password": PASSWORD})
        assert signed.status_code == 302, signed.data
        return client


@pytest.fixture
def seeded(app_factory: Any) -> Seeded:
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    app = app_factory(clock=clock)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        create_user(session, "tiepnhantt", PASSWORD, "Lê Văn Tân", [("CM-TT", "reception")])
        create_user(session, "lanhdaotinh", PASSWORD, "Phạm Tỉnh", [("CM", "leader")])
        session.commit()
    api = Api(app.test_client())
    codes: dict[str, str] = {}
    clock.at("2026-03-02 09:00")
    a1 = submit(api)
    a2 = submit(api, channel="online")
    act(api, a2["code"], "receive", "tiepnhan")
    clock.at("2026-03-03 09:00")
    codes["A3"] = submit(api, "gpxd-nha-o")["code"]
    created = api.post("/dossiers", "tiepnhantt", json={
        "procedure": "ho-kinh-doanh", "applicant": PATHS["ho-kinh-doanh"]["applicant"],
        "data": PATHS["ho-kinh-doanh"]["start"], "channel": "counter"})
    assert created.status_code == 201, created.get_json()
    codes["T1"] = created.get_json()["code"]
    clock.at("2026-03-03 10:00")
    run_to_end(api, "ho-kinh-doanh", a1["code"])
    clock.at("2026-03-09 09:00")
    run_to_end(api, "ho-kinh-doanh", a2["code"])
    clock.at("2026-03-12 09:00")
    act(api, a1["code"], "require_payment", "tiepnhan", amount=100000)
    assert pay_online(app, a1["code"])["status"] == "processed"
    act(api, a1["code"], "return_result", "tiepnhan")
    clock.at("2026-03-13 09:00")
    rated = api.post(f"/public/dossiers/{a1['code']}/rating", json={"pin": a1["pin"], "rating": 3})
    assert rated.status_code == 200, rated.get_json()
    clock.at("2026-04-10 09:00")
    with services.uow() as uow:
        sweep(uow)
    codes.update(A1=a1["code"], A2=a2["code"])
    return Seeded(app, api, codes)


def read_csv(body: bytes) -> list[list[str]]:
    """As a Vietnamese-locale spreadsheet reads it: UTF-8 by its byte-order mark, `;` between cells."""
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def as_cell(value: Any) -> str:
    """A figure as the CSV writes it: decimals with a comma, as vi-VN reads them."""
    return "" if value is None else str(value).replace(".", ",")


def api_groups(api: Api, user: str, group_by: str) -> dict[str, dict[str, Any]]:
    resp = api.get(f"/stats?start=2026-03-01&end=2026-04-01&group_by={group_by}", user)
    assert resp.status_code == 200, resp.get_json()
    return {g["key"]: g for g in resp.get_json()["groups"]}


@pytest.mark.parametrize("group_by", ["none", "unit", "procedure", "month"])
def test_csv_figures_equal_the_api_figures(seeded: Seeded, group_by: str) -> None:
    client = seeded.page_client("lanhdaotinh")
    resp = client.get(f"/dashboard/export.csv?{MARCH_QS}&group_by={group_by}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    _header, *rows = read_csv(resp.data)
    expected = api_groups(seeded.api, "lanhdaotinh", group_by)
    assert expected, "the seeded figures are not empty"
    by_key = {row[0]: row for row in rows}
    assert set(expected) <= set(by_key)
    for key, row in by_key.items():
        figures = expected.get(key)
        for (column, _vi, _en), cell in zip(FIGURE_COLUMNS, row[2:], strict=True):
            if figures is None:  # a month or unit with nothing: a row of zeros, not a hole
                assert cell in ("0", ""), (key, column, cell)
                continue
            value = figures["rates"][column[6:]] if column.startswith("rates.") else figures[column]
            assert cell == as_cell(value), (key, column)
    if group_by == "unit":  # the province's leader sees the province and both communes, by name
        assert set(by_key) == {"CM", "CM-AX", "CM-TT"}
        assert by_key["CM-AX"][1] == "Trung tâm Phục vụ hành chính công phường An Xuyên"
        assert (by_key["CM-AX"][2], by_key["CM-TT"][2]) == ("3", "1")
    if group_by == "none":  # hand-computed: 4 received, 1 online; 2 processed, 1 early, 1 late; 2 overdue
        [row] = rows
        values = dict(zip([c for c, _, _ in FIGURE_COLUMNS], row[2:], strict=True))
        assert {k: values[k] for k in ("received", "online", "processed", "early", "late", "open_overdue",
                                       "paid_online", "rates.on_time", "rates.online_payment")} == {
            "received": "4", "online": "1", "processed": "2", "early": "1", "late": "1", "open_overdue": "2",
            "paid_online": "1", "rates.on_time": "50,0", "rates.online_payment": "100,0"}
    if group_by == "month":
        assert [r[0] for r in rows] == ["2026-03"]


def test_exports_are_scoped_to_the_leaders_units(seeded: Seeded) -> None:
    commune = seeded.page_client("lanhdao")
    _header, *rows = read_csv(commune.get(f"/dashboard/export.csv?{MARCH_QS}&group_by=unit").data)
    assert [r[0] for r in rows] == ["CM-AX"]
    [total] = read_csv(commune.get(f"/dashboard/export.csv?{MARCH_QS}").data)[1:]
    assert total[2] == "3"  # CM-TT's dossier is not counted
    overdue = read_csv(commune.get(f"/dashboard/overdue.csv?{MARCH_QS}").data)
    assert [r[0] for r in overdue[1:]] == [seeded.codes["A3"]]

    province = seeded.page_client("lanhdaotinh")
    overdue = read_csv(province.get(f"/dashboard/overdue.csv?{MARCH_QS}").data)
    assert {r[0] for r in overdue[1:]} == {seeded.codes["A3"], seeded.codes["T1"]}
    only_tt = read_csv(province.get(f"/dashboard/export.csv?{MARCH_QS}&unit=CM-TT&group_by=procedure").data)
    assert [(r[0], r[2]) for r in only_tt[1:]] == [("ho-kinh-doanh", "1")]

    # another unit's figures are refused with the form's error, not silently emptied
    refused = commune.get(f"/dashboard/export.csv?{MARCH_QS}&unit=CM-TT")
    assert refused.status_code == 400 and b'data-error-for="unit"' in refused.data
    page = commune.get(f"/dashboard/?{MARCH_QS}")
    assert page.status_code == 200
    assert b'value="CM-TT"' not in page.data and b'value="CM-AX"' in page.data  # the unit filter's options


def test_csv_has_a_bom_and_vietnamese_or_english_headers(seeded: Seeded) -> None:
    client = seeded.page_client("lanhdao")
    vi = read_csv(client.get(f"/dashboard/export.csv?{MARCH_QS}&group_by=procedure").data)
    assert vi[0][:4] == ["Mã thủ tục", "Thủ tục", "Tiếp nhận", "Trực tuyến"]
    assert "Tỷ lệ đúng hạn (%)" in vi[0] and "Mức độ hài lòng (%)" in vi[0]
    names = {r[0]: r[1] for r in vi[1:]}
    assert names["gpxd-nha-o"].startswith("Cấp giấy phép xây dựng")  # the procedure's Vietnamese name
    en = read_csv(client.get(f"/dashboard/export.csv?{MARCH_QS}&group_by=procedure&lang=en").data)
    assert en[0][:4] == ["Procedure code", "Procedure", "Received", "Online"] and "Satisfaction (%)" in en[0]
    assert en[1:] and all(len(r) == len(en[0]) for r in en[1:])
    overdue_en = read_csv(client.get(f"/dashboard/overdue.csv?{MARCH_QS}&lang=en").data)
    assert overdue_en[0][0] == "Dossier" and overdue_en[0][7] == "Working days late"


def test_the_overdue_list_and_escalations(seeded: Seeded) -> None:
    client = seeded.page_client("lanhdaotinh")
    header, *rows = read_csv(client.get(f"/dashboard/overdue.csv?{MARCH_QS}").data)
    assert header == ["Mã hồ sơ", "Mã thủ tục", "Thủ tục", "Đơn vị", "Người nộp", "Trạng thái", "Hạn giải quyết",
                      "Số ngày làm việc trễ", "Bước đang xử lý", "Người xử lý"]
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    t1, a3 = by_code[seeded.codes["T1"]], by_code[seeded.codes["A3"]]
    assert [r[0] for r in rows] == [seeded.codes["T1"], seeded.codes["A3"]]  # the latest first
    assert t1["Hạn giải quyết"] == "06/03/2026 17:00"  # local time, not UTC
    assert a3["Hạn giải quyết"] == "24/03/2026 17:00"
    # working days after the due day up to 10 April (no public holiday in between)
    assert (t1["Số ngày làm việc trễ"], a3["Số ngày làm việc trễ"]) == ("25", "13")
    assert t1["Đơn vị"] == "Trung tâm Phục vụ hành chính công phường Tân Thành"
    assert a3["Người nộp"] == "Trần Văn Hùng" and a3["Trạng thái"] == "Đã tiếp nhận"
    assert a3["Bước đang xử lý"]  # the step the dossier waits on
    assert seeded.codes["A1"] not in by_code and seeded.codes["A2"] not in by_code  # processed: not overdue

    page = client.get(f"/dashboard/?{MARCH_QS}").get_data(as_text=True)
    assert f'href="/dossiers/{seeded.codes["A3"]}"' in page
    assert re.search(rf'<tr data-code="{seeded.codes["T1"]}">.*?data-col="due">06/03/2026 17:00<', page, re.S)
    escalations = page[page.index('id="escalations"'):]
    assert seeded.codes["A3"] in escalations and seeded.codes["T1"] in escalations
    # each late step once, at the level it reached (re-escalated to the province), beside its apology draft
    rows = re.findall(r'<tr data-escalation="\d+">.*?</tr>', escalations, re.S)
    a3_rows = [r for r in rows if seeded.codes["A3"] in r]
    assert len(a3_rows) == 2
    assert any("Chuyển cấp trên" in r and "Trung tâm Phục vụ hành chính công tỉnh Cà Mau" in r for r in a3_rows)
    assert any("Dự thảo phiếu xin lỗi" in r for r in a3_rows)
    assert not any("Cảnh báo sắp đến hạn" in r for r in rows)

    commune = seeded.page_client("lanhdao").get(f"/dashboard/?{MARCH_QS}").get_data(as_text=True)
    assert seeded.codes["A3"] in commune and seeded.codes["T1"] not in commune


def _cell(html: str, table: str, key: str, column: str) -> str:
    found = re.search(rf'data-table="{table}".*?<tr data-key="{re.escape(key)}">.*?data-col="{column}"[^>]*>([^<]*)<',
                      html, re.S)
    assert found, (table, key, column)
    return found.group(1)


def test_the_page_shows_the_figures_and_embeds_the_chart_data(seeded: Seeded) -> None:
    client = seeded.page_client("lanhdaotinh")
    resp = client.get(f"/dashboard/?{MARCH_QS}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert _cell(html, "month", "2026-03", "received") == "4"
    assert _cell(html, "unit", "CM-AX", "processed") == "2"
    assert _cell(html, "unit", "CM-TT", "open_overdue") == "1"
    assert _cell(html, "procedure", "ho-kinh-doanh", "on_time_rate") == "50,0 %"  # Vietnamese decimal comma
    assert re.search(r'data-kpi="received">.*?class="value">4<', html, re.S)
    charts = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert charts
    data = json.loads(charts.group(1))
    assert data["month"] == {"labels": ["2026-03"], "on_time": [1], "late": [1], "overdue": [2],
                             "online_rate": [25.0]}
    assert set(data) == {"month", "unit", "procedure"}
    english = client.get(f"/dashboard/?{MARCH_QS}&lang=en").get_data(as_text=True)
    assert "Figures by month" in english and _cell(english, "procedure", "ho-kinh-doanh", "on_time_rate") == "50.0 %"


def test_filters_presets_errors_and_access(seeded: Seeded) -> None:
    client = seeded.page_client("lanhdao")
    this_month = client.get("/dashboard/").get_data(as_text=True)  # 10 April 2026: the whole of April
    assert "01/04/2026 – 30/04/2026" in this_month
    quarter = client.get("/dashboard/?period=quarter").get_data(as_text=True)
    assert "01/02/2026 – 30/04/2026" in quarter
    assert [m for m in ("2026-02", "2026-03", "2026-04") if f'data-key="{m}"' in quarter] == [
        "2026-02", "2026-03", "2026-04"]  # every month of the period has its row, empty ones too

    missing = client.get("/dashboard/?period=custom&from=2026-03-01")
    assert missing.status_code == 400 and b'data-error-for="to"' in missing.data
    assert b'value="2026-03-01"' in missing.data  # what was typed is kept
    backwards = client.get("/dashboard/?period=custom&from=2026-03-10&to=2026-03-01")
    assert backwards.status_code == 400 and b'data-error-for="to"' in backwards.data
    garbage = client.get("/dashboard/?period=custom&from=10/03/2026&to=2026-03-31&procedure=nope")
    assert garbage.status_code == 400
    assert b'data-error-for="from"' in garbage.data and b'data-error-for="procedure"' in garbage.data
    assert client.get(f"/dashboard/export.csv?{MARCH_QS}&group_by=year").status_code == 400

    assert seeded.page_client("tiepnhan").get("/dashboard/").status_code == 403
    visitor = seeded.app.test_client().get("/dashboard/export.csv")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
