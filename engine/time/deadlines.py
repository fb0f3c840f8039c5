"""Due times of dossiers and steps, and how a pause moves them. All arithmetic is the calendar's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from .working_time import WorkingCalendar, parse_budget


def legal_time_for(meta: dict[str, Any], channel: str | None) -> dict[str, Any]:
    """The legal time of a dossier on this channel: the channel's own entry over the procedure's default."""
    legal = dict(meta["legal_time"])
    own = (meta.get("channels") or {}).get(channel or "", {}).get("legal_time")
    if own:
        legal.update(own)
    return legal


def dossier_due(calendar: WorkingCalendar, meta: dict[str, Any], received_at: datetime,
                channel: str | None = None) -> datetime:
    """The appointment date: the legal time of the dossier's channel (the procedure's own when the channel has
    none) counted from the receipt of a valid dossier."""
    legal = legal_time_for(meta, channel)
    cutoff = time.fromisoformat(legal["cutoff"]) if legal.get("cutoff") else None
    return calendar.due(received_at, legal["value"], legal["unit"], cutoff)


def step_due(calendar: WorkingCalendar, budget: str | None, started_at: datetime) -> datetime | None:
    """A step's due time from its time budget (working time); None when the designer set none."""
    if not budget:
        return None
    return calendar.add_working_time(started_at, parse_budget(budget, calendar.hours.day_length))


def paused_time(calendar: WorkingCalendar, paused_at: datetime, resumed_at: datetime) -> timedelta:
    return calendar.working_time_between(paused_at, resumed_at)


def shift(calendar: WorkingCalendar, due: datetime | None, paused: timedelta) -> datetime | None:
    """A due time moved later by the working time spent paused (the clock did not run meanwhile)."""
    if due is None or paused <= timedelta(0):
        return due
    return calendar.add_working_time(due, paused)


def shift_appointment(calendar: WorkingCalendar, meta: dict[str, Any], due: datetime | None,
                      paused: timedelta, channel: str | None = None) -> datetime | None:
    """The dossier's appointment moved by a pause. A legal time in working days gives an appointment day, so the
    moved one is the close of office hours of the day the working time lands on (not 07:31 the next morning
    because a pause ended a minute after the office opened); one in working hours keeps its exact time."""
    moved = shift(calendar, due, paused)
    if moved is None or moved == due or legal_time_for(meta, channel)["unit"] != "working_days":
        return moved
    return calendar.close_of_day(moved)
