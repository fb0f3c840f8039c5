"""The dossier register (`GET /api/v1/dossiers`, its CSV, form 07, and the `/register` page), on SQLite and
PostgreSQL, against dossiers in every state (local times, Asia/Ho_Chi_Minh):

  OPEN   ho-kinh-doanh, counter at CM-AX, received 2 Mar 09:00, Nguyễn Văn An 012345678901; overdue on 10 Apr
  REFUSED ho-kinh-doanh, online at CM-AX, submitted 3 Mar, refused 3 Mar (never received), Lê Thị Hồng
  PAUSED gpxd-nha-o, counter at CM-AX, received 4 Mar 09:00, supplement requested 4 Mar 10:00, Trần Văn Hùng
  DONE   ho-kinh-doanh, counter at CM-AX, received 5 Mar 09:00, processed and returned 5-6 Mar, a business:
         Công ty TNHH Thủy sản Đất Mũi, tax code 2001234567, represented by Phạm Minh Đức
  OTHER  ho-kinh-doanh, counter at CM-TT (another commune), received 6 Mar 09:00, Nguyễn Văn An Khang
Looked at on 10 April 2026, 09:00.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.dossiers.applicants import stamp_applicant
from engine.dossiers.models import Dossier
from engine.people.organisation import create_user

from .conftest import PASSWORD, Api, FakeClock
from .test_flow import PATHS, run_to_end
from .test_lifecycle import act

HKD, GPXD = "ho-kinh-doanh", "gpxd-nha-o"


@dataclass
class World:
    app: Flask
    api: Api
    codes: dict[str, str]

    def get(self, query: str = "", user: str = "tiepnhan") -> Any:
        return self.api.get(f"/dossiers{'?' + query if query else ''}", user)

    def codes_of(self, query: str = "", user: str = "tiepnhan") -> list[str]:
        resp = self.get(query, user)
        assert resp.status_code == 200, resp.get_json()
        return [item["code"] for item in resp.get_json()["items"]]

    def named(self, *names: str) -> set[str]:
        return {self.codes[n] for n in names}


def _submit(api: Api, user: str, procedure: str, name: str, id_number: str, channel: str = "counter") -> str:
    resp = api.post("/dossiers", user, json={
        "procedure": procedure, "applicant": {**PATHS[procedure]["applicant"], "name": name, "id_number": id_number},
        "data": PATHS[procedure]["start"], "channel": channel})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])


@pytest.fixture
def world(app_factory: Any) -> World:
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    app = app_factory(clock=clock)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        create_user(session, "tiepnhantt", PASSWORD, "Lê Văn Tân", [("CM-TT", "reception")])
        create_user(session, "lanhdaotinh", PASSWORD, "Phạm Tỉnh", [("CM", "leader")])
        create_user(session, "thietke", PASSWORD, "Thiết kế", [("CM", "designer")])
        session.commit()
    api = Api(app.test_client())
    codes: dict[str, str] = {}
    clock.at("2026-03-02 09:00")
    codes["OPEN"] = _submit(api, "tiepnhan", HKD, "Nguyễn Văn An", "012345678901")
    clock.at("2026-03-03 09:00")
    codes["REFUSED"] = _submit(api, "tiepnhan", HKD, "Lê Thị Hồng", "012345678902", channel="online")
    assert act(api, codes["REFUSED"], "refuse", "tiepnhan", reasons=["Không thuộc thẩm quyền"]).status_code == 200
    clock.at("2026-03-04 09:00")
    codes["PAUSED"] = _submit(api, "tiepnhan", GPXD, "Trần Văn Hùng", "012345678903")
    clock.at("2026-03-04 10:00")
    assert act(api, codes["PAUSED"], "request_supplement", "tiepnhan",
               missing=["Bản vẽ thiết kế"]).status_code == 200
    clock.at("2026-03-05 09:00")
    codes["DONE"] = _submit(api, "tiepnhan", HKD, "Công ty", "012345678904")
    run_to_end(api, HKD, codes["DONE"])
    clock.at("2026-03-06 08:00")
    act(api, codes["DONE"], "require_payment", "tiepnhan", amount=100000)
    assert act(api, codes["DONE"], "record_payment", "tiepnhan", online=False).status_code == 200
    assert act(api, codes["DONE"], "return_result", "tiepnhan").status_code == 200
    clock.at("2026-03-06 09:00")
    codes["OTHER"] = _submit(api, "tiepnhantt", HKD, "Nguyễn Văn An Khang", "012345678905")
    with services.session_factory() as session:  # the API takes persons only (the counter page adds businesses)
        done = session.scalars(select(Dossier).where(Dossier.code == codes["DONE"])).one()
        done.applicant = {"kind": "business", "name": "Công ty TNHH Thủy sản Đất Mũi", "tax_code": "2001234567",
                          "representative": "Phạm Minh Đức", "address": "Khóm 3; phường An Xuyên",
                          "phone": "0290 3812 345"}
        done.applicant_name = done.applicant["name"]
        stamp_applicant(done)
        session.commit()
    clock.at("2026-04-10 09:00")
    return World(app, api, codes)


def test_every_state_is_in_the_register_newest_first(world: World) -> None:
    body = world.get().get_json()
    assert [i["code"] for i in body["items"]] == [world.codes[n] for n in ("DONE", "PAUSED", "OPEN", "REFUSED")]
    assert (body["total"], body["total_kind"]) == (4, "exact")
    by_code = {i["code"]: i for i in body["items"]}
    refused, done, paused = (by_code[world.codes[n]] for n in ("REFUSED", "DONE", "PAUSED"))
    assert refused["status"] == "refused" and refused["received_at"] is None and refused["finished_at"]
    assert done["status"] == "returned" and done["applicant_kind"] == "business"
    assert done["applicant_key"] == "2001234567" and done["returned_at"].endswith("+07:00")
    assert paused["paused_at"] and paused["status"] == "supplement_requested" and not paused["overdue"]
    assert by_code[world.codes["OPEN"]]["overdue"] and by_code[world.codes["OPEN"]]["status_code"] == 2


@pytest.mark.parametrize(("q", "expected"), [
    ("nguyen van an", ["OPEN"]),  # no diacritics, no case; the other commune's "Nguyễn Văn An Khang" is not shown
    ("NGUYỄN VĂN AN", ["OPEN"]),
    ("hong", ["REFUSED"]),
    ("012345678903", ["PAUSED"]),  # a personal id, exactly
    ("01234567890", ["PAUSED", "OPEN", "REFUSED"]),  # eleven digits: not an id, a part of one (as text)
    ("2001234567", ["DONE"]),  # a tax code
    ("thuy san dat mui", ["DONE"]),  # the business's name
    ("pham minh duc", ["DONE"]),  # its representative
    ("50%", []),  # LIKE's wildcards are taken literally
])
def test_search_by_name_without_diacritics_id_tax_code_and_business(world: World, q: str, expected: list[str]
                                                                  ) -> None:
    assert world.codes_of(f"q={q}") == [world.codes[n] for n in expected]


def test_search_by_code_and_part_of_it(world: World) -> None:
    code = world.codes["PAUSED"]
    assert world.codes_of(f"q={code}") == [code]
    assert world.codes_of(f"q={code.lower()[-9:]}") == [code]


def test_filters(world: World) -> None:
    c = world.named
    assert set(world.codes_of(f"procedure={GPXD}")) == c("PAUSED")
    assert set(world.codes_of("status=refused")) == c("REFUSED")
    assert set(world.codes_of("status=refused,returned")) == c("REFUSED", "DONE")
    assert set(world.codes_of("channel=online")) == c("REFUSED")
    assert set(world.codes_of("channel=counter")) == c("OPEN", "PAUSED", "DONE")
    # local days: received 2 Mar 09:00 local is 2 Mar 02:00 UTC; 4 Mar 09:00 is in the range's last day
    assert set(world.codes_of("received_from=2026-03-02&received_to=2026-03-04")) == c("OPEN", "PAUSED")
    assert set(world.codes_of("received_from=2026-03-05")) == c("DONE")
    assert set(world.codes_of("finished_from=2026-03-01&finished_to=2026-03-31")) == c("REFUSED", "DONE")
    assert set(world.codes_of("due_to=2026-03-31")) == c("OPEN", "PAUSED", "DONE")
    assert set(world.codes_of("due_from=2026-03-05&due_to=2026-03-05")) == c("OPEN")
    assert set(world.codes_of("overdue=true")) == c("OPEN")
    assert set(world.codes_of("overdue=false")) == c("REFUSED", "PAUSED", "DONE")
    assert set(world.codes_of("paused=true")) == c("PAUSED")
    assert set(world.codes_of("paused=false&channel=counter&q=nguyen")) == c("OPEN")


def test_units_a_province_covers_and_the_unit_filter(world: World) -> None:
    everything = world.named("OPEN", "REFUSED", "PAUSED", "DONE", "OTHER")
    assert set(world.codes_of(user="lanhdaotinh")) == everything
    assert world.codes_of("q=nguyen van an", "lanhdaotinh") == [world.codes["OTHER"], world.codes["OPEN"]]
    assert set(world.codes_of("unit=CM-TT", "lanhdaotinh")) == world.named("OTHER")
    assert world.codes_of(user="tiepnhantt") == [world.codes["OTHER"]]


def test_a_dossier_handled_by_a_unit_but_received_elsewhere_is_in_both_registers(world: World) -> None:
    with world.app.extensions["motcua"].session_factory() as session:
        other = session.scalars(select(Dossier).where(Dossier.code == world.codes["OTHER"])).one()
        other.competent_unit = "CM-AX"
        session.commit()
    assert world.codes["OTHER"] in world.codes_of()
    assert world.codes_of(user="tiepnhantt") == [world.codes["OTHER"]]
    assert world.codes_of(user="lanhdaotinh").count(world.codes["OTHER"]) == 1  # once, though both are covered
    assert world.get("unit=CM-AX", "lanhdaotinh").get_json()["total"] == 5


def test_sorting_both_ways_with_missing_dates_last(world: World) -> None:
    order = [world.codes[n] for n in ("REFUSED", "OPEN", "PAUSED", "DONE")]
    assert world.codes_of("sort=received&order=asc") == order[1:] + order[:1]  # never received: last
    assert world.codes_of("sort=code&order=asc") == sorted(order)
    assert world.codes_of("sort=code&order=desc") == sorted(order, reverse=True)
    finished_desc = world.codes_of("sort=finished&order=desc")
    assert finished_desc[:2] == [world.codes["DONE"], world.codes["REFUSED"]]
    assert set(finished_desc[2:]) == world.named("OPEN", "PAUSED")
    assert world.codes_of("sort=due&order=asc")[-1] == world.codes["REFUSED"]


@pytest.mark.parametrize("sort", ["received", "due", "finished", "code"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_paging_by_offset_and_by_cursor_walks_the_same_rows(world: World, sort: str, order: str) -> None:
    whole = world.codes_of(f"sort={sort}&order={order}")
    by_offset = [c for offset in range(0, 5, 2) for c in world.codes_of(f"sort={sort}&order={order}&limit=2"
                                                                          f"&offset={offset}")]
    assert by_offset == whole
    walked, cursor = [], None
    for _ in range(5):
        body = world.get(f"sort={sort}&order={order}&limit=1" + (f"&after={cursor}" if cursor else "")).get_json()
        assert body["total"] == 4
        walked += [i["code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == whole


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_csv_is_form_07_for_a_vietnamese_spreadsheet(world: World) -> None:
    resp = world.api.get("/dossiers/export.csv?sort=received&order=asc", "tiepnhan")
    assert resp.status_code == 200 and resp.mimetype == "text/csv" and resp.is_streamed
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert b"\r\n" in raw and raw.count(b";") >= 13 * 5
    header, *rows = read_csv(raw)
    assert header == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
                      "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày, tháng, năm nhận hồ sơ",
                      "Ngày hẹn trả kết quả", "Ngày, tháng, năm chuyển hồ sơ", "Ngày, tháng, năm nhận kết quả",
                      "Ngày, tháng, năm trả kết quả", "Ký nhận",
                      "Ghi chú"]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    by_code = {r[1]: dict(zip(header, r, strict=True)) for r in rows}
    assert list(by_code) == [world.codes[n] for n in ("OPEN", "PAUSED", "DONE", "REFUSED")]
    opened, done, refused = (by_code[world.codes[n]] for n in ("OPEN", "DONE", "REFUSED"))
    assert opened["Ngày, tháng, năm nhận hồ sơ"] == "02/03/2026 09:00"  # local time, day first
    assert opened["Tên thủ tục hành chính"] == "Đăng ký thành lập hộ kinh doanh"
    assert opened["Cơ quan chủ trì giải quyết"] == "Trung tâm Phục vụ hành chính công phường An Xuyên"
    assert opened["Ngày, tháng, năm chuyển hồ sơ"].startswith("02/03/2026")
    assert opened["Ngày, tháng, năm nhận kết quả"] == ""
    assert done["Ngày, tháng, năm nhận kết quả"].startswith("05/03/2026")
    assert "quá hạn" in opened["Ghi chú"] and opened["Ngày, tháng, năm trả kết quả"] == ""
    assert done["Tên cá nhân, tổ chức"] == "Công ty TNHH Thủy sản Đất Mũi"
    assert done["Địa chỉ, số điện thoại"] == "Khóm 3; phường An Xuyên, 0290 3812 345"  # a ';' stays in its cell
    assert done["Ngày, tháng, năm trả kết quả"].startswith("06/03/2026") and done["Ký nhận"] == ""
    assert refused["Ghi chú"].startswith("Từ chối") and "trực tuyến" in refused["Ghi chú"]
    assert refused["Ngày, tháng, năm trả kết quả"].startswith("03/03/2026")

    filtered = read_csv(world.api.get("/dossiers/export.csv?status=refused&lang=en", "tiepnhan").get_data())
    assert filtered[0][:2] == ["No.", "Dossier code"] and [r[1] for r in filtered[1:]] == [world.codes["REFUSED"]]


def test_a_formula_in_a_name_does_not_run_in_the_spreadsheet(world: World) -> None:
    with world.app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == world.codes["OPEN"])).one()
        dossier.applicant_name = '=HYPERLINK("http://x.example","bấm")'
        session.commit()
    [row] = read_csv(world.api.get(f"/dossiers/export.csv?q={world.codes['OPEN']}", "tiepnhan").get_data())[1:]
    assert row[4] == "'=HYPERLINK(\"http://x.example\",\"bấm\")"


def test_another_communes_officer_and_other_roles_see_nothing(world: World) -> None:
    assert world.codes["OTHER"] not in world.codes_of()
    assert world.codes_of(f"q={world.codes['OTHER']}") == []
    for path in ("/dossiers?unit=CM-TT", "/dossiers/export.csv?unit=CM-TT", "/dossiers?unit=NOPE"):
        resp = world.api.get(path, "tiepnhan")
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    for user in ("thietke", "quantri"):  # designers, administrators: no citizen's data, whatever their unit
        for path in ("/dossiers", "/dossiers/export.csv"):
            resp = world.api.get(path, user)
            assert resp.status_code == 403 and world.codes["OPEN"] not in resp.get_data(as_text=True)
    assert world.api.get("/dossiers").status_code == 401


@pytest.mark.parametrize("query", [
    "sort=age", "order=up", "status=done", "status=,", "channel=fax", "received_from=2026-13-01",
    "received_from=2026-03-05&received_to=2026-03-01", "due_to=0001-01-01", "finished_from=yesterday",
    "overdue=maybe", "paused=2", "limit=0", "limit=501", "offset=-1", "offset=10001", "after=garbage",
    "after=WyJjb2RlIiwiYXNjIiwieCIsMV0", "q=" + "x" * 101, "procedure=khong-co", "colour=red",
    "limit=99999999999999999999999",
])
def test_bad_filters_are_422_problems(world: World, query: str) -> None:
    for path in ("/dossiers", "/dossiers/export.csv"):
        if path.endswith(".csv") and query.split("=")[0] in ("limit", "offset"):
            continue
        resp = world.api.get(f"{path}?{query}", "tiepnhan")
        assert resp.status_code == 422, (path, query, resp.get_data(as_text=True))
        assert resp.mimetype == "application/problem+json" and resp.get_json()["errors"]


def test_a_cursor_of_another_sort_is_refused(world: World) -> None:
    cursor = world.get("limit=1").get_json()["next_cursor"]
    assert world.get(f"limit=1&after={cursor}").status_code == 200
    assert world.get(f"limit=1&sort=code&after={cursor}").status_code == 422


# --- the page ---------------------------------------------------------------------------------------------
def page_client(world: World, username: str) -> Any:
    import re

    client = world.app.test_client()
    token = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/login").data)
    assert token
    signed = client.post("/login", data={"csrf_token": token.group(1).decode(), "username": username,
                                         "password": PASSWORD})
    assert signed.status_code == 302
    return client


def test_the_register_page_searches_filters_and_links_the_csv(world: World) -> None:
    client = page_client(world, "tiepnhan")
    home = client.get("/inbox").get_data(as_text=True)
    assert 'data-nav="register"' in home
    page = client.get("/register").get_data(as_text=True)
    assert 'data-total="4"' in page and 'data-total-kind="exact"' in page
    for name in ("OPEN", "REFUSED", "PAUSED", "DONE"):
        assert f'data-dossier="{world.codes[name]}"' in page
    assert world.codes["OTHER"] not in page
    found = client.get("/register?q=thuy+san&status=&channel=&received_from=").get_data(as_text=True)
    assert f'data-dossier="{world.codes["DONE"]}"' in found and 'data-total="1"' in found
    assert "/register/export.csv?q=thuy+san" in found
    csv_resp = client.get("/register/export.csv?q=thuy+san")
    assert csv_resp.status_code == 200 and [r[1] for r in read_csv(csv_resp.get_data())[1:]] == [world.codes["DONE"]]
    english = client.get("/register/export.csv?q=thuy+san&lang=en").get_data()
    assert read_csv(english)[0][0] == "No."
    bad = client.get("/register?received_from=2026-03-09&received_to=2026-03-01&sort=age")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'data-field-error="sort"' in text and "Cách sắp xếp không hợp lệ." in text
    assert client.get("/register?unit=CM-TT").status_code == 404
    assert client.get("/register?page=999").status_code == 400


def test_the_register_page_is_for_officers_only(world: World) -> None:
    assert page_client(world, "thietke").get("/register").status_code == 403
    assert page_client(world, "quantri").get("/register/export.csv").status_code == 403
    assert world.app.test_client().get("/register").status_code == 302  # a visitor signs in first
