"""The working-time calendar, pinned against hand-computed cases (all times local, Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import paused_time, shift
from engine.time.working_time import Override, WorkingCalendar, WorkingHours, parse_budget

CAL = WorkingCalendar()


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def local(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


# Weekdays that are not worked, from shared/domain.md (Labour Code art. 112 and the government's swaps).
DAYS_OFF = {
    2025: ["2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
           "2025-04-07", "2025-04-30", "2025-05-01", "2025-05-02", "2025-09-01", "2025-09-02"],
    2026: ["2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
           "2026-04-27", "2026-04-30", "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02", "2026-11-24"],
}
MAKE_UP_SATURDAYS = {2025: ["2025-04-26"], 2026: ["2026-08-22"]}


@pytest.mark.parametrize("year", [2025, 2026])
def test_public_holidays_and_make_up_days_match_the_domain_notes(year: int) -> None:
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366 if year % 4 == 0 else 365)]
    off = [d.isoformat() for d in days if d.weekday() < 5 and not CAL.is_working_day(d)]
    worked_weekend = [d.isoformat() for d in days if d.weekday() >= 5 and CAL.is_working_day(d)]
    assert off == DAYS_OFF[year]
    assert worked_weekend == MAKE_UP_SATURDAYS[year]


@pytest.mark.parametrize("year,first,last", [(2025, "2025-01-25", "2025-02-02"), (2026, "2026-02-14", "2026-02-22")])
def test_tet_break_is_nine_days(year: int, first: str, last: str) -> None:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    span = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    assert len(span) == 9 and not any(CAL.is_working_day(d) for d in span)
    assert CAL.is_working_day(start - timedelta(days=1)) and CAL.is_working_day(end + timedelta(days=1))


DAY_CASES = [
    # received,            days, cut-off, due                  why
    ("2026-03-02 09:00", 3, None, "2026-03-05 17:00"),  # the day of receipt is not counted
    ("2026-03-06 10:00", 3, None, "2026-03-11 17:00"),  # a weekend in between
    ("2026-02-12 09:00", 3, None, "2026-02-24 17:00"),  # the Tết 2026 break, 14-22 Feb
    ("2025-01-24 09:00", 1, None, "2025-02-03 17:00"),  # the Tết 2025 break, 25 Jan - 2 Feb
    ("2026-08-21 10:00", 1, None, "2026-08-22 17:00"),  # Saturday 22 Aug 2026 is a make-up working day
    ("2026-08-21 10:00", 2, None, "2026-08-24 17:00"),
    ("2026-08-28 10:00", 2, None, "2026-09-04 17:00"),  # 31 Aug (swapped), 1-2 Sep National Day
    ("2026-03-03 15:30", 1, None, "2026-03-04 17:00"),  # no cut-off: received today
    ("2026-03-03 15:30", 1, "15:00", "2026-03-05 17:00"),  # after the cut-off: counts from tomorrow
    ("2026-03-03 14:59", 1, "15:00", "2026-03-04 17:00"),
    ("2026-03-07 09:00", 1, None, "2026-03-10 17:00"),  # received on Saturday: as if on Monday
    ("2026-02-16 10:00", 3, None, "2026-02-26 17:00"),  # submitted online on Tết eve
    ("2026-03-02 18:30", 1, None, "2026-03-04 17:00"),  # after hours: as if the next morning
    ("2026-03-02 06:45", 1, None, "2026-03-03 17:00"),  # before opening: that same day
]


@pytest.mark.parametrize("received,days,cutoff,due", DAY_CASES)
def test_working_days(received: str, days: int, cutoff: str | None, due: str) -> None:
    cut = time.fromisoformat(cutoff) if cutoff else None
    assert local(CAL.add_working_days(vn(received), days, cut)) == due
    assert local(CAL.due(vn(received), days, "working_days", cut)) == due


HOUR_CASES = [
    ("2026-03-02 10:30", 2, None, "2026-03-02 14:00"),  # across lunch (11:30-13:00)
    ("2026-03-02 16:00", 3, None, "2026-03-03 09:30"),  # across the night
    ("2026-03-02 12:10", 1, None, "2026-03-02 14:00"),  # starts at lunch: the clock waits for 13:00
    ("2026-03-06 16:00", 2, None, "2026-03-09 08:30"),  # across a weekend
    ("2026-02-13 16:00", 2, None, "2026-02-23 08:30"),  # across the Tết break
    ("2026-03-03 14:00", 4, None, "2026-03-04 08:30"),
    ("2026-03-03 15:30", 4, "15:00", "2026-03-04 11:30"),  # after the cut-off: from tomorrow's opening
    ("2026-03-02 07:30", 8, None, "2026-03-02 17:00"),  # exactly one working day
]


@pytest.mark.parametrize("start,hours,cutoff,due", HOUR_CASES)
def test_working_hours(start: str, hours: float, cutoff: str | None, due: str) -> None:
    cut = time.fromisoformat(cutoff) if cutoff else None
    assert local(CAL.due(vn(start), hours, "working_hours", cut)) == due
    if cut is None:
        assert local(CAL.add_working_time(vn(start), timedelta(hours=hours))) == due


def test_fractional_working_days() -> None:
    assert local(CAL.due(vn("2026-03-02 09:00"), 1.5, "working_days")) == "2026-03-04 11:30"


@pytest.mark.parametrize("start,end,hours", [
    ("2026-04-24 10:00", "2026-04-28 10:00", 8),    # Fri -> Tue over a weekend and Hùng Kings (observed)
    ("2026-03-02 11:00", "2026-03-02 13:30", 1),    # lunch does not count
    ("2026-03-02 17:00", "2026-03-03 07:30", 0),
    ("2026-03-03 10:00", "2026-03-02 10:00", 0),    # backwards: nothing
    ("2026-02-13 07:30", "2026-02-23 17:00", 16),
])
def test_working_time_between(start: str, end: str, hours: float) -> None:
    assert CAL.working_time_between(vn(start), vn(end)) == timedelta(hours=hours)


@pytest.mark.parametrize("instant,working", [
    ("2026-08-22 09:00", True), ("2026-08-31 09:00", False), ("2026-03-02 12:00", False),
    ("2026-03-02 07:29", False), ("2026-03-02 07:30", True), ("2026-03-02 16:59", True),
    ("2026-03-02 17:00", False), ("2026-03-07 09:00", False), ("2026-11-24 09:00", False),
])
def test_is_working_time(instant: str, working: bool) -> None:
    assert CAL.is_working_time(vn(instant)) is working


def test_pause_across_a_holiday_moves_the_due_date_by_the_paused_working_time() -> None:
    received = vn("2026-04-22 09:00")
    due = CAL.add_working_days(received, 3)
    assert local(due) == "2026-04-28 17:00"  # Thu 23, Fri 24, (weekend, Mon 27 off), Tue 28
    paused = paused_time(CAL, vn("2026-04-24 10:00"), vn("2026-04-28 10:00"))
    assert paused == timedelta(hours=8)
    assert local(shift(CAL, due, paused)) == "2026-04-29 17:00"
    assert shift(CAL, due, timedelta(0)) == due and shift(CAL, None, paused) is None


def test_overrides_win_over_the_holiday_package() -> None:
    cal = WorkingCalendar(overrides={
        date(2026, 3, 9): Override(date(2026, 3, 9), False, "Nghỉ bù theo quyết định của tỉnh"),
        date(2026, 8, 22): Override(date(2026, 8, 22), False, "Dời ngày làm bù"),
        date(2026, 8, 29): Override(date(2026, 8, 29), True, "Làm bù thay ngày 22/8"),
    })
    assert local(cal.add_working_days(vn("2026-03-06 10:00"), 1)) == "2026-03-10 17:00"
    assert local(cal.add_working_days(vn("2026-08-21 10:00"), 1)) == "2026-08-24 17:00"
    assert local(cal.add_working_days(vn("2026-08-28 10:00"), 1)) == "2026-08-29 17:00"
    assert cal.holiday_name(date(2026, 3, 9)) == "Nghỉ bù theo quyết định của tỉnh"


def test_configurable_working_hours() -> None:
    saturday_mornings = WorkingCalendar(hours=WorkingHours(
        periods=((time(8), time(12)), (time(13, 30), time(17, 30))), weekdays=frozenset({0, 1, 2, 3, 4, 5})))
    assert local(saturday_mornings.add_working_time(vn("2026-03-06 17:00"), timedelta(hours=1))) \
        == "2026-03-07 08:30"
    assert saturday_mornings.hours.day_length == timedelta(hours=8)
    with pytest.raises(ValueError):
        WorkingHours(periods=((time(13), time(17)), (time(8), time(12))))


@pytest.mark.parametrize("text,hours", [("PT4H", 4), ("P2D", 16), ("P1DT4H", 12), ("PT30M", 0.5), ("PT1.5H", 1.5)])
def test_parse_budget(text: str, hours: float) -> None:
    assert parse_budget(text) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "4h", "P", "PT", "P2W", "-PT1H"])
def test_parse_budget_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_budget(text)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.is_working_time(datetime(2026, 3, 2, 9))
