"""A year of the working calendar as twelve month grids, for the administrators' calendar page.

Each day says what it is and why: an ordinary working day, a weekend, a public holiday (named in the page's
language by the `holidays` package), a make-up working day (a Saturday worked for a bridged holiday), or a
local override (a day off or a working day decided here, with its note). The grid is what `WorkingCalendar`
counts deadlines with, so the page shows exactly what deadlines see.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date

import holidays

from .models import CalendarOverride
from .working_time import WorkingCalendar

HOLIDAY_LANGUAGES = {"vi": "vi", "en": "en_US"}


@dataclass(frozen=True)
class Day:
    day: date
    working: bool
    kind: str  # working | weekend | holiday | makeup | off (a local day off); a local working day is a makeup
    local: bool  # decided by an override kept as data
    name: str | None = None  # the holiday's name or the override's note
    source: str | None = None  # file | api, for an override


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[Day | None]]  # Monday first; None pads the first and last weeks


def year_view(calendar: WorkingCalendar, overrides: list[CalendarOverride], year: int, lang: str = "vi"
              ) -> list[Month]:
    names = holidays.country_holidays(calendar.country, years=year, language=HOLIDAY_LANGUAGES.get(lang, "vi"))
    stored = {row.day: row for row in overrides}
    result = []
    for number in range(1, 13):
        weeks = []
        for week in months.Calendar(firstweekday=0).monthdatescalendar(year, number):
            weeks.append([_day(calendar, names, stored, d) if d.month == number else None for d in week])
        result.append(Month(number, weeks))
    return result


def _day(calendar: WorkingCalendar, names: holidays.HolidayBase, stored: dict[date, CalendarOverride],
         day: date) -> Day:
    working, kind = calendar.is_working_day(day), calendar.day_kind(day)
    if kind == "override":
        row = stored.get(day)
        note, source = (row.name, row.source) if row is not None else (calendar.overrides[day].name, None)
        ordinary = day.weekday() in calendar.hours.weekdays and day not in names
        shown = ("working" if ordinary else "makeup") if working else "off"
        return Day(day, working, shown, True, note, source)
    if kind == "holiday":
        return Day(day, False, kind, False, names.get(day))
    return Day(day, working, kind, False)
