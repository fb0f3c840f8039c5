"""Working time: the only module that knows which instants count toward a legal deadline.

Working days are Monday to Friday (configurable) minus Vietnam's public holidays, which come from the
`holidays` package (lunar dates, substituted days off and make-up working Saturdays included). Overrides
kept as data win over both: an extra day off decided locally, or a moved make-up day. Working hours on a
working day are a list of periods, by default 07:30-11:30 and 13:00-17:00 local time.

Two ways of counting, as the law and practice use them (see docs/deadlines.md):
- `add_working_days`: a period in days does not count the day of receipt (Civil Code 2015, art. 147); it
  ends at the close of the N-th working day after it.
- `add_working_time`: a period in hours runs from the instant itself, through working periods only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from .clock import LOCAL_TZ

DEFAULT_PERIODS = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
DEFAULT_WEEKDAYS = frozenset({0, 1, 2, 3, 4})
_DURATION = re.compile(r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+)M)?)?$")


@dataclass(frozen=True)
class Override:
    day: date
    working: bool
    name: str = ""


@dataclass(frozen=True)
class WorkingHours:
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    weekdays: frozenset[int] = DEFAULT_WEEKDAYS

    def __post_init__(self) -> None:
        previous = time.min
        for start, end in self.periods:
            if not previous <= start < end:
                raise ValueError("working periods must be ordered and must not overlap")
            previous = end

    @property
    def day_length(self) -> timedelta:
        return sum((_span(s, e) for s, e in self.periods), timedelta())


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


@dataclass
class WorkingCalendar:
    hours: WorkingHours = field(default_factory=WorkingHours)
    overrides: dict[date, Override] = field(default_factory=dict)
    tz: ZoneInfo = LOCAL_TZ
    country: str = "VN"

    def __post_init__(self) -> None:
        self._public = holidays.country_holidays(self.country)

    # --- days ---------------------------------------------------------------------------------------
    def holiday_name(self, day: date) -> str | None:
        override = self.overrides.get(day)
        if override is not None:
            return None if override.working else override.name or "Ngày nghỉ"
        return self._public.get(day)

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        if day in self._public:
            return False
        if day in self._public.weekend_workdays:  # make-up working Saturday, known to the package
            return True
        return day.weekday() in self.hours.weekdays

    def day_kind(self, day: date) -> str:
        """What decides the day, for a calendar view: `override` (a local decision), `holiday` (a public
        holiday), `makeup` (a weekend day worked by national decision), `weekend` or `working`."""
        if day in self.overrides:
            return "override"
        if day in self._public:
            return "holiday"
        if day in self._public.weekend_workdays:
            return "makeup"
        return "working" if day.weekday() in self.hours.weekdays else "weekend"

    def working_days(self, start: date, end: date) -> Iterator[date]:
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year")

    # --- instants -----------------------------------------------------------------------------------
    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return instant.astimezone(self.tz).replace(tzinfo=None)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def _periods(self, day: date) -> Iterable[tuple[datetime, datetime]]:
        if self.is_working_day(day):
            for start, end in self.hours.periods:
                yield datetime.combine(day, start), datetime.combine(day, end)

    def is_working_time(self, instant: datetime) -> bool:
        local = self._local(instant)
        return any(start <= local < end for start, end in self._periods(local.date()))

    def add_working_time(self, instant: datetime, amount: timedelta) -> datetime:
        """The instant when `amount` of working time has passed since `instant`."""
        if amount < timedelta(0):
            raise ValueError("cannot add negative working time")
        local = self._local(instant)
        remaining, day = amount, local.date()
        for _ in range(3660):
            for start, end in self._periods(day):
                start = max(start, local)
                if start >= end:
                    continue
                if remaining <= end - start:
                    return self._utc(start + remaining)
                remaining -= end - start
            day += timedelta(days=1)
        raise ValueError("working time too long to add")

    def subtract_working_time(self, instant: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of working time before `instant` (the mirror of add_working_time)."""
        if amount < timedelta(0):
            raise ValueError("cannot subtract negative working time")
        local = self._local(instant)
        remaining, day = amount, local.date()
        for _ in range(3660):
            for start, end in reversed(list(self._periods(day))):
                end = min(end, local)
                if end <= start:
                    continue
                if remaining <= end - start:
                    return self._utc(end - remaining)
                remaining -= end - start
            day -= timedelta(days=1)
        raise ValueError("working time too long to subtract")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero if end is not after start."""
        a, b = self._local(start), self._local(end)
        total, day = timedelta(0), a.date()
        while day <= b.date():
            for p_start, p_end in self._periods(day):
                lo, hi = max(p_start, a), min(p_end, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def effective_receipt(self, instant: datetime, cutoff: time | None = None) -> datetime:
        """When a dossier counts as received: outside working time or after the cut-off hour,
        at the start of the next working period."""
        local = self._local(instant)
        if cutoff is not None and local.time() >= cutoff and self.is_working_day(local.date()):
            day = self.next_working_day(local.date())
            return self._utc(datetime.combine(day, self.hours.periods[0][0]))
        if self.is_working_time(instant):
            return instant
        day = local.date()
        for _ in range(367):
            for start, _end in self._periods(day):
                if start >= local:
                    return self._utc(start)
            day += timedelta(days=1)
        raise ValueError("no working time within a year")

    def close_of_day(self, instant: datetime) -> datetime:
        """The end of office hours of the instant's working day (of the next working day, if it falls on none)."""
        day = self._local(instant).date()
        day = day if self.is_working_day(day) else self.next_working_day(day)
        return self._utc(datetime.combine(day, self.hours.periods[-1][1]))

    def add_working_days(self, instant: datetime, days: int, cutoff: time | None = None) -> datetime:
        """Close of the `days`-th working day after the (effective) day of receipt."""
        receipt_day = self._local(self.effective_receipt(instant, cutoff)).date()
        day = receipt_day
        for _ in range(days):
            day = self.next_working_day(day)
        return self._utc(datetime.combine(day, self.hours.periods[-1][1]))

    def due(self, instant: datetime, value: float, unit: str, cutoff: time | None = None) -> datetime:
        """The due instant of a legal time given in working days or working hours."""
        if unit == "working_days":
            whole = int(value)
            due = self.add_working_days(instant, whole, cutoff)
            if value > whole:  # half a day and the like: the rest in working time on the next days
                due = self.add_working_time(due, self.hours.day_length * (value - whole))
            return due
        if unit == "working_hours":
            return self.add_working_time(self.effective_receipt(instant, cutoff), timedelta(hours=value))
        raise ValueError(f"unknown time unit {unit!r}")


MAX_BUDGET_HOURS = 100_000  # fifty years of working days
MAX_BUDGET = timedelta(hours=MAX_BUDGET_HOURS)


def parse_budget(text: str, day_length: timedelta = timedelta(hours=8)) -> timedelta:
    """An ISO 8601 duration in WORKING time: PT4H, P2D (two working days' worth of hours), P1DT4H, PT30M."""
    match = _DURATION.match(text.strip()) if text else None
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"not a working-time duration: {text!r} (use e.g. PT4H or P2D)")
    days, hours, minutes = (float(match[k]) if match[k] else 0.0 for k in ("d", "h", "m"))
    try:
        budget = day_length * days + timedelta(hours=hours, minutes=minutes)
    except OverflowError:
        budget = MAX_BUDGET * 2
    if budget > MAX_BUDGET:  # no step takes decades; dates that far out do not exist (year 9999)
        raise ValueError(f"working-time duration too long: {text!r} (at most {MAX_BUDGET_HOURS} hours)")
    return budget
