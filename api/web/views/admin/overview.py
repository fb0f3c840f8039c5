"""Roles (what each may do, how many hold it), the working calendar's year (weekends, public holidays, make-up
working days, local overrides, with adding and removing an override as PUT/DELETE /api/v1/calendar/overrides do)
and the audit chain's state (the check of GET /api/v1/audit/verify)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import ValidationFailed
from engine.people.administration import (
    chain_state,
    clear_calendar_day,
    may_change_calendar,
    role_holders,
    set_calendar_day,
)
from engine.time.calendar_store import list_overrides
from engine.time.year import year_view

from ....integers import parse_int
from ....services import request_uow
from ...i18n import select_locale
from ...pages import page, page_actor
from .blueprint import bp, role_labels, say, text

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the holiday package's range, with room


@bp.get("/roles")
@page("admin")
def roles() -> str:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    return render_template("admin/roles.html", rows=role_holders(uow, actor), names=role_labels(uow))


def _year(raw: str | None, default: int) -> int | None:
    year = parse_int(raw) if raw else default
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else None


def render_calendar(year: int, status: int = 200, errors: dict[str, list[str]] | None = None,
                    form: dict[str, str] | None = None) -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    overrides = [row for row in list_overrides(uow.session) if row.day.year == year]
    months = year_view(uow.calendar, overrides, year, select_locale())
    return render_template("admin/calendar.html", year=year, months=months, overrides=overrides,
                           may_change=may_change_calendar(actor), errors=errors or {}, form=form or {},
                           today=uow.clock().date()), status


@bp.route("/calendar", methods=["GET", "POST"])
@page("admin")
def calendar() -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    this_year = uow.clock().year
    if request.method == "GET":
        year = _year(request.args.get("year"), this_year)
        if year is None:
            return render_calendar(this_year, 400, {"year": [_("Năm không hợp lệ (từ %(a)s đến %(b)s).",
                                                             a=FIRST_YEAR, b=LAST_YEAR)]})
        return render_calendar(year)
    form = {"day": request.form.get("day", "")[:10], "working": request.form.get("working", ""),
            "name": request.form.get("name", "")[:200]}
    errors: dict[str, list[str]] = {}
    try:
        day = date.fromisoformat(form["day"])
    except ValueError:
        day = None
        errors["day"] = [_("Hãy chọn một ngày.")]
    if day is not None and _year(str(day.year), this_year) is None:
        errors["day"] = [_("Năm không hợp lệ (từ %(a)s đến %(b)s).", a=FIRST_YEAR, b=LAST_YEAR)]
    if form["working"] not in ("0", "1"):
        errors["working"] = [_("Chọn ngày nghỉ hoặc ngày làm việc.")]
    note = text("name", 200)
    if not note:
        errors["name"] = [_("Hãy ghi lý do (số quyết định, văn bản).")]
    shown = day.year if day is not None and "day" not in errors else this_year
    if errors:
        return render_calendar(shown, 422, errors, form)
    assert day is not None and note is not None
    try:  # Forbidden (a commune's administrator: the calendar is the whole organisation's): the 403 page
        set_calendar_day(uow, actor, day, form["working"] == "1", note)
    except ValidationFailed as exc:
        uow.session.rollback()
        return render_calendar(shown, 422, say(exc.errors), form)
    flash(_("Đã đặt ngày %(day)s là ngày làm việc.", day=day.strftime("%d/%m/%Y")) if form["working"] == "1"
          else _("Đã đặt ngày %(day)s là ngày nghỉ.", day=day.strftime("%d/%m/%Y")))
    return redirect(url_for("admin.calendar", year=day.year, _anchor=f"d-{day.isoformat()}"))


@bp.post("/calendar/<day>/remove")
@page("admin")
def remove_day(day: str) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return render_calendar(uow.clock().year, 400, {"day": [_("Hãy chọn một ngày.")]})
    clear_calendar_day(uow, actor, when)  # Forbidden / NotFound (no override that day): the 403/404 pages
    flash(_("Đã bỏ điều chỉnh của ngày %(day)s; ngày này theo lịch nghỉ lễ chung.", day=when.strftime("%d/%m/%Y")))
    return redirect(url_for("admin.calendar", year=when.year))


@bp.get("/audit")
@page("admin")
def audit() -> str:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    return render_template("admin/audit.html", state=chain_state(uow, actor))
