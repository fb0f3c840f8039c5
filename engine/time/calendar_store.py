"""The working calendar as data: hours from config/calendar.toml, overrides in the database.

Overrides changed through the API apply in every worker within `ttl` seconds (at once in the worker that
made the change), with no restart.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound, ValidationFailed
from engine.store.refreshing import Refreshing

from .models import CalendarOverride
from .working_time import Override, WorkingCalendar, WorkingHours

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class CalendarFile:
    hours: WorkingHours
    overrides: list[Override]


def read_calendar_file(path: Path) -> CalendarFile:
    if not path.is_file():
        return CalendarFile(WorkingHours(), [])
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    hours_raw = raw.get("hours", {})
    try:
        weekdays = frozenset(WEEKDAYS[d] for d in hours_raw.get("weekdays", ["mon", "tue", "wed", "thu", "fri"]))
        periods = tuple((time.fromisoformat(a), time.fromisoformat(b))
                        for a, b in hours_raw.get("periods", [["07:30", "11:30"], ["13:00", "17:00"]]))
        hours = WorkingHours(periods=periods, weekdays=weekdays)
        overrides = [Override(day=o["date"], working=bool(o["working"]), name=o.get("name", ""))
                     for o in raw.get("overrides", [])]
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if any(not isinstance(o.day, date) for o in overrides):
        raise ValueError(f"{path}: override dates must be TOML dates (2026-01-02)")
    return CalendarFile(hours, overrides)


def load_file_overrides(session: Session, path: Path) -> int:
    """Store the file's overrides; rows changed through the API win over the file."""
    stored = {row.day: row for row in session.scalars(select(CalendarOverride))}
    count = 0
    for override in read_calendar_file(path).overrides:
        row = stored.get(override.day)
        if row is not None and row.source == "api":
            continue
        if row is None:
            session.add(CalendarOverride(day=override.day, working=override.working, name=override.name,
                                         source="file"))
        else:
            row.working, row.name = override.working, override.name
        count += 1
    return count


def list_overrides(session: Session) -> list[CalendarOverride]:
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def set_override(session: Session, day: date, working: bool, name: str, user_id: int | None,
                 now: datetime) -> CalendarOverride:
    if not name.strip():
        raise ValidationFailed("an override needs a name", {"name": ["Say why (the decision)."]})
    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day)
        session.add(row)
    row.working, row.name, row.source, row.updated_by, row.updated_at = working, name, "api", user_id, now
    return row


def delete_override(session: Session, day: date) -> None:
    row = session.get(CalendarOverride, day)
    if row is None:
        raise NotFound(f"no override for {day.isoformat()}")
    session.delete(row)


class CalendarProvider(Refreshing[WorkingCalendar]):
    """The working calendar: the configured hours and the stored overrides."""

    def __init__(self, hours: WorkingHours, ttl: float = 30.0) -> None:
        self.hours = hours
        super().__init__(self._build, ttl)

    def _build(self, session: Session) -> WorkingCalendar:
        overrides = {row.day: Override(row.day, row.working, row.name)
                     for row in session.scalars(select(CalendarOverride))}
        return WorkingCalendar(hours=self.hours, overrides=overrides)
