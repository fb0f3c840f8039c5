"""Administrators change the calendar through the API, and deadlines follow without a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.time.calendar_store import load_file_overrides, read_calendar_file

from .conftest import Api, FakeClock
from .test_lifecycle import submit


def test_override_applies_at_once_and_can_be_removed(app_factory: Any) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    api = Api(app_factory(clock=clock).test_client())
    clock.at("2026-03-06 10:00")
    assert submit(api)["due_at"] == "2026-03-11T17:00:00+07:00"  # Mon 9, Tue 10, Wed 11

    body = {"working": False, "name": "Nghỉ theo Quyết định của UBND tỉnh"}
    assert api.call("PUT", "/calendar/overrides/2026-03-09", "tiepnhan", json=body).status_code == 403
    resp = api.call("PUT", "/calendar/overrides/2026-03-09", "quantri", json=body)
    assert resp.status_code == 200 and resp.get_json()["source"] == "api"
    assert submit(api)["due_at"] == "2026-03-12T17:00:00+07:00"  # the 9th is now off

    year = api.get("/calendar?year=2026").get_json()
    off = {d["day"]: d["name"] for d in year["days_off"]}
    assert off["2026-03-09"] == body["name"] and off["2026-02-17"] and "2026-08-31" in off
    assert [d["day"] for d in year["working_weekend_days"]] == ["2026-08-22"]
    assert year["hours"] == [["07:30", "11:30"], ["13:00", "17:00"]]

    assert api.call("DELETE", "/calendar/overrides/2026-03-09", "quantri").status_code == 204
    assert api.call("DELETE", "/calendar/overrides/2026-03-09", "quantri").status_code == 404
    assert submit(api)["due_at"] == "2026-03-11T17:00:00+07:00"
    assert api.call("PUT", "/calendar/overrides/09-03-2026", "quantri", json=body).status_code == 422
    assert api.call("PUT", "/calendar/overrides/2026-03-10", "quantri",
                    json={"working": False, "name": " "}).status_code == 422


def test_calendar_file_is_loaded_and_api_changes_win(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('[hours]\nweekdays = ["mon", "tue", "wed", "thu", "fri", "sat"]\n'
                    'periods = [["08:00", "12:00"], ["13:30", "17:30"]]\n\n'
                    '[[overrides]]\ndate = 2027-04-17\nworking = true\nname = "Làm bù"\n\n'
                    '[[overrides]]\ndate = 2027-04-19\nworking = false\nname = "Nghỉ bù"\n', encoding="utf-8")
    parsed = read_calendar_file(path)
    assert parsed.hours.weekdays == frozenset(range(6)) and len(parsed.overrides) == 2
    api = Api(app.test_client())
    api.call("PUT", "/calendar/overrides/2027-04-19", "quantri", json={"working": True, "name": "Đổi lại"})
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        assert load_file_overrides(session, path) == 1  # the API's row for the 19th is kept
        session.commit()
    services.calendars.invalidate()
    days = {o["day"]: o for o in api.get("/calendar?year=2027").get_json()["overrides"]}
    assert days["2027-04-17"]["source"] == "file" and days["2027-04-19"]["name"] == "Đổi lại"
