"""The leaders' dashboard: figures by unit, procedure and month; overdue dossiers; escalations; CSV.

Every number is computed on the server by `engine.stats` for the leader's own units, embedded in the page as
tables and as the charts' JSON, and exported as CSV with the same filters: the page needs no extra call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import format_decimal, get_locale

from engine.dossiers.population import lookups_between
from engine.people.actors import Actor
from engine.reporting.reports import (
    PERIODS,
    complete,
    escalations,
    figures_table,
    local_today,
    months_between,
    overdue_dossiers,
    overdue_table,
    preset_period,
    procedure_names,
    status_name,
    to_csv,
    unit_names,
)
from engine.reporting.stats import EARLIEST, GROUPS, LATEST, Figures, StatsQuery, compute
from engine.store.uow import UnitOfWork
from engine.sync.state import SyncRate, sync_rate
from engine.time.clock import LOCAL_TZ

from ...services import request_uow, services
from ..pages import DASHBOARD_ROLES, page, page_actor

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
MAX_DAYS = 3660  # ten years: beyond that a month chart is unreadable and the query pointless
CHART_GROUPS = ("month", "unit", "procedure")


@dataclass(frozen=True)
class Filters:
    period: str
    start: date
    end: date  # exclusive
    unit: str | None
    procedure: str | None

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def args(self) -> dict[str, str]:
        """The query string that reproduces these filters (the export links carry it)."""
        found = {"period": self.period, "unit": self.unit or "", "procedure": self.procedure or ""}
        if self.period == "custom":
            found.update({"from": self.start.isoformat(), "to": self.last.isoformat()})
        return {k: v for k, v in found.items() if v}


def _lang() -> str:
    return str(get_locale() or "vi")[:2]


def _date(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None  # beyond, no instant exists to count from or to


def _read_filters(uow: UnitOfWork, actor: Actor, procedures: dict[str, Any]
                  ) -> tuple[dict[str, str], Filters | None, dict[str, list[str]]]:
    """The form as typed, the filters when valid, and error codes by field (the template words them)."""
    form = {k: request.args.get(k, "").strip() for k in ("period", "from", "to", "unit", "procedure")}
    form["period"] = form["period"] or "month"
    errors: dict[str, list[str]] = {}
    if form["period"] not in PERIODS:
        errors["period"] = ["unknown"]
    if form["unit"] and form["unit"] not in actor.units:
        errors["unit"] = ["out_of_scope"]  # the same answer for a unit that does not exist
    if form["procedure"] and form["procedure"] not in procedures:
        errors["procedure"] = ["unknown"]
    start = end = None
    if form["period"] == "custom":
        for name in ("from", "to"):
            if not form[name]:
                errors[name] = ["required"]
            elif _date(form[name]) is None:
                errors[name] = ["not_a_date"]
        start, last = _date(form["from"]), _date(form["to"])
        if start and last:
            end = last + timedelta(days=1)
            if last < start:
                errors["to"] = ["before_start"]
            elif (end - start).days > MAX_DAYS:
                errors["to"] = ["too_long"]
    elif form["period"] in PERIODS:
        start, end = preset_period(form["period"], local_today(uow))
    if errors or start is None or end is None:
        return form, None, errors
    return form, Filters(form["period"], start, end, form["unit"] or None, form["procedure"] or None), {}


def _sync_rate(uow: UnitOfWork, actor: Actor, filters: Filters) -> SyncRate:
    """The national portal's sync rate over the period's local days, for the filtered unit or all the actor's."""
    start, end = (datetime.combine(day, time(), LOCAL_TZ) for day in (filters.start, filters.end))
    units = frozenset({filters.unit}) if filters.unit else actor.units
    return sync_rate(uow, start, end, services().settings.portal_sync_target_minutes, units)


def _figures(uow: UnitOfWork, actor: Actor, filters: Filters, group_by: str) -> list[Figures]:
    groups = compute(uow, actor, StatsQuery(filters.start, filters.end, group_by, filters.unit, filters.procedure))
    if group_by == "month":
        return complete(groups, months_between(filters.start, filters.end))
    if group_by == "unit":  # a unit with nothing in the period is news too
        return complete(groups, sorted(u for u in actor.units if filters.unit in (None, u)))
    if group_by == "none":
        return complete(groups, ["all"])
    return groups


def _labels(uow: UnitOfWork, actor: Actor, group_by: str, procedures: dict[str, tuple[str, str]],
            lang: str) -> dict[str, str]:
    if group_by == "unit":
        return unit_names(uow, actor.units)
    if group_by == "procedure":
        return {code: en if lang == "en" and en else vi for code, (vi, en) in procedures.items()}
    return {}


def _chart(groups: list[Figures], labels: dict[str, str]) -> dict[str, Any]:
    """What the chart draws, from the same figures as the table under it."""
    return {"labels": [labels.get(g.key, g.key) for g in groups],
            "on_time": [g.early + g.on_time for g in groups], "late": [g.late for g in groups],
            "overdue": [g.open_overdue for g in groups], "online_rate": [g.rates.get("online") for g in groups]}


def _number(value: float | int | None) -> str:
    return "—" if value is None else str(format_decimal(value))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{format_decimal(value, format='#,##0.0')} %"


def _setup() -> tuple[UnitOfWork, Actor, dict[str, tuple[str, str]], str]:
    uow, actor = request_uow(), page_actor()
    assert actor is not None  # @page let only signed-in leaders through
    return uow, actor, procedure_names(uow), _lang()


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    lang = _lang()
    return render_template("dashboard/overview.html", number=_number, percent=_percent,
                           status_name=lambda status: status_name(status, lang), **context), status


@bp.get("/")
@page(*DASHBOARD_ROLES)
def overview() -> tuple[str, int]:
    uow, actor, procedures, lang = _setup()
    form, filters, errors = _read_filters(uow, actor, procedures)
    names = _labels(uow, actor, "procedure", procedures, lang)
    units = unit_names(uow, actor.units)
    common = {"form": form, "errors": errors, "units": units, "procedures": names, "now": uow.clock()}
    if filters is None:
        return _page(400, **common)
    [totals] = _figures(uow, actor, filters, "none")
    groups = {g: _figures(uow, actor, filters, g) for g in CHART_GROUPS}
    labels = {g: _labels(uow, actor, g, procedures, lang) for g in CHART_GROUPS}
    overdue, overdue_total = overdue_dossiers(uow, actor, filters.unit, filters.procedure)
    return _page(**common, filters=filters, totals=totals, groups=groups, labels=labels,
                 charts={g: _chart(groups[g], labels[g]) for g in CHART_GROUPS}, overdue=overdue,
                 overdue_total=overdue_total, escalations=escalations(uow, actor, filters.unit, filters.procedure),
                 sync=_sync_rate(uow, actor, filters), population_lookups=_population_lookups(uow, actor, filters))


def _population_lookups(uow: UnitOfWork, actor: Actor, filters: Filters) -> int:
    """Look-ups in the national population database over the period's local days (beside the re-use figure)."""
    start, end = (datetime.combine(day, time(), LOCAL_TZ) for day in (filters.start, filters.end))
    return lookups_between(uow, frozenset({filters.unit}) if filters.unit else actor.units, start, end)


def _csv(body: bytes, name: str, filters: Filters) -> Response:
    filename = f"{name}-{filters.start.isoformat()}-{filters.last.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/export.csv")
@page(*DASHBOARD_ROLES)
def export_csv() -> Response | tuple[str, int]:
    uow, actor, procedures, lang = _setup()
    form, filters, errors = _read_filters(uow, actor, procedures)
    group_by = request.args.get("group_by", "none")
    if group_by not in GROUPS:
        errors["group_by"] = ["unknown"]
    if filters is None or errors:  # the page again, with the filters as typed and what is wrong with them
        return _page(400, form=form, errors=errors, units=unit_names(uow, actor.units),
                     procedures=_labels(uow, actor, "procedure", procedures, lang), now=uow.clock())
    header, rows = figures_table(_figures(uow, actor, filters, group_by), group_by,
                                 _labels(uow, actor, group_by, procedures, lang), lang)
    return _csv(to_csv(header, rows), f"so-lieu-{group_by}", filters)


@bp.get("/overdue.csv")
@page(*DASHBOARD_ROLES)
def overdue_csv() -> Response | tuple[str, int]:
    uow, actor, procedures, lang = _setup()
    form, filters, errors = _read_filters(uow, actor, procedures)
    names = _labels(uow, actor, "procedure", procedures, lang)
    if filters is None:
        return _page(400, form=form, errors=errors, units=unit_names(uow, actor.units), procedures=names,
                     now=uow.clock())
    items, _total = overdue_dossiers(uow, actor, filters.unit, filters.procedure, limit=100_000)
    header, rows = overdue_table(items, names, unit_names(uow, actor.units), lang)
    return _csv(to_csv(header, rows), "ho-so-qua-han", filters)
