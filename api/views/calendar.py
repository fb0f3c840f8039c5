from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, request

from engine.errors import ValidationFailed
from engine.people.administration import clear_calendar_day, set_calendar_day
from engine.time.calendar_store import list_overrides

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import request_uow

bp = Blueprint("calendar", __name__)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("bad date", {"date": ["Use YYYY-MM-DD."]}) from None


@bp.get("/calendar")
@operation("The working calendar of a year (?year=): working hours, weekdays off (public holidays and "
           "overrides), working weekend days (make-up days), and the stored overrides.", tag="calendar",
           public=True, responses={200: schemas.CalendarOut()})
def calendar():  # type: ignore[no-untyped-def]
    uow = request_uow()
    try:
        year = int(request.args.get("year", uow.clock().year))
        first, last = date(year, 1, 1), date(year, 12, 31)
    except (ValueError, OverflowError):
        raise ValidationFailed("bad year", {"year": ["A year such as 2026."]}) from None
    cal = uow.calendar
    days = [first.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    weekdays = cal.hours.weekdays
    body = {
        "year": year,
        "hours": [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in cal.hours.periods],
        "days_off": [{"day": d, "working": False, "name": cal.holiday_name(d)} for d in days
                     if d.weekday() in weekdays and not cal.is_working_day(d)],
        "working_weekend_days": [{"day": d, "working": True, "name": None} for d in days
                                 if d.weekday() not in weekdays and cal.is_working_day(d)],
        "overrides": [o for o in list_overrides(uow.session) if o.day.year == year],
    }
    return respond(schemas.CalendarOut, body)


@bp.put("/calendar/overrides/<day>")
@login_required("admin")
@operation("Make a date a day off or a working day (e.g. a moved make-up day); applies without a restart. "
           "Administrators of a top-level unit only: the calendar is the whole organisation's.",
           tag="calendar", body=schemas.OverrideIn(), responses={200: schemas.OverrideOut()})
def put_override(day: str):  # type: ignore[no-untyped-def]
    # the same use case as the administrators' calendar page: top-level administrators only, audited
    row = set_calendar_day(request_uow(), current_actor(), _day(day), g.body["working"], g.body["name"])
    return respond(schemas.OverrideOut, row)


@bp.delete("/calendar/overrides/<day>")
@login_required("admin")
@operation("Remove an override; the holiday package decides that date again.", tag="calendar",
           responses={204: "removed", 404: "no override for that date"})
def remove_override(day: str):  # type: ignore[no-untyped-def]
    clear_calendar_day(request_uow(), current_actor(), _day(day))
    return Response(status=204)
