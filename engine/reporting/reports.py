"""What a leader reads beside the figures: periods in local months, the overdue list, and the CSV exports.

The figures themselves come from `stats.compute`; this module completes them (months and units with nothing
still get a row, so a chart has no holes) and lays them out as rows whose headers are Vietnamese or English.
Everything is scoped like the figures: the dossiers of the units the actor covers, by competent or receiving unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.overdue import overdue_at
from engine.dossiers.projection import OPEN, STEP_ORDER
from engine.people.actors import Actor
from engine.people.models import User
from engine.procedures.models import Procedure
from engine.scheduling.escalation import EscalationView, open_escalations
from engine.store.uow import UnitOfWork
from engine.time.clock import LOCAL_TZ

from . import spreadsheet
from .stats import Figures

PERIODS = ("month", "quarter", "custom")  # this month, the last three months, chosen dates
STATUS_NAMES: dict[str, tuple[str, str]] = {  # the statuses the law defines, for people (vi, en)
    "registered": ("Chờ tiếp nhận", "Awaiting reception"), "received": ("Đã tiếp nhận", "Received"),
    "refused": ("Từ chối", "Refused"), "processing": ("Đang giải quyết", "Processing"),
    "supplement_requested": ("Chờ bổ sung", "Awaiting supplement"),
    "payment_required": ("Chờ thanh toán", "Awaiting payment"),
    "withdrawal_requested": ("Xin rút hồ sơ", "Withdrawal requested"), "stopped": ("Dừng xử lý", "Stopped"),
    "processed": ("Đã giải quyết", "Processed"), "returned": ("Đã trả kết quả", "Result returned"),
}


# --- periods -------------------------------------------------------------------------------------------
def first_of_month(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """[start, end) in local dates: this month so far and to its end, or the last three months with this one."""
    following = first_of_month(first_of_month(today) + timedelta(days=32))
    return first_of_month(today, 2 if preset == "quarter" else 0), following


def months_between(start: date, end: date) -> list[str]:
    """Every month touched by [start, end), as the 'YYYY-MM' keys the figures use."""
    months, month = [], first_of_month(start)
    while month < end:
        months.append(month.strftime("%Y-%m"))
        month = first_of_month(month + timedelta(days=32))
    return months


def local_today(uow: UnitOfWork) -> date:
    return uow.clock().astimezone(LOCAL_TZ).date()


# --- figures -------------------------------------------------------------------------------------------
def complete(groups: Iterable[Figures], keys: Iterable[str]) -> list[Figures]:
    """The groups with a zero row for each expected key that has none, in the keys' order, then the others."""
    found = {g.key: g for g in groups}
    wanted = list(keys)
    rows = [found.pop(k, None) or Figures(key=k).finish() for k in wanted]
    return rows + [found[k] for k in sorted(found)]


def procedure_names(uow: UnitOfWork) -> dict[str, tuple[str, str]]:
    return {code: (vi, en) for code, vi, en in uow.session.execute(
        select(Procedure.code, Procedure.name_vi, Procedure.name_en).order_by(Procedure.code))}


def unit_names(uow: UnitOfWork, units: Iterable[str]) -> dict[str, str]:
    names = uow.org.tree(uow.session).names
    return {u: names.get(u, u) for u in sorted(units)}


# --- the overdue list ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenStep:
    name: str
    role: str | None
    unit_code: str | None
    assignee: str | None  # full name of the officer holding it; None while nobody has claimed it


@dataclass(frozen=True)
class OverdueDossier:
    code: str
    procedure_code: str
    unit_code: str | None
    applicant_name: str
    status: str
    due_at: datetime
    days_late: int  # working days after the due day, up to today
    steps: list[OpenStep]


def overdue_dossiers(uow: UnitOfWork, actor: Actor, unit: str | None = None, procedure: str | None = None,
                     limit: int = 200) -> tuple[list[OverdueDossier], int]:
    """Open dossiers past their legal due date (`overdue.py`: a pause stops the clock), latest first, and how
    many there are.

    The same set as the figures' `open_overdue` for a period ending now.
    """
    session, now = uow.session, uow.clock()
    units = sorted(u for u in actor.officer_units if unit is None or u == unit)  # lists carry applicants' names
    conditions: list[Any] = [overdue_at(now), Dossier.received_at.is_not(None),
                             or_(Dossier.competent_unit.in_(units), Dossier.reception_unit.in_(units))]
    if procedure:
        conditions.append(Dossier.procedure_code == procedure)
    total = session.scalar(select(func.count()).select_from(Dossier).where(*conditions)) or 0
    dossiers = list(session.scalars(select(Dossier).where(*conditions).order_by(Dossier.due_at, Dossier.id)
                                    .limit(limit)))
    steps: dict[int, list[OpenStep]] = {}
    if dossiers:
        rows = session.execute(select(TaskRecord.dossier_id, TaskRecord.name, TaskRecord.role, TaskRecord.unit_code,
                                      User.full_name)
                               .outerjoin(User, User.id == TaskRecord.assignee_id)
                               .where(TaskRecord.dossier_id.in_([d.id for d in dossiers]), TaskRecord.state == OPEN)
                               .order_by(*STEP_ORDER))
        for dossier_id, name, role, task_unit, assignee in rows:
            steps.setdefault(dossier_id, []).append(OpenStep(name, role, task_unit, assignee))
    calendar, today = uow.calendar, now.astimezone(LOCAL_TZ).date()

    def days_late(due: datetime) -> int:
        return sum(1 for _ in calendar.working_days(due.astimezone(LOCAL_TZ).date() + timedelta(days=1), today))

    items = [OverdueDossier(d.code, d.procedure_code, d.competent_unit or d.reception_unit, d.applicant_name,
                            d.status, d.due_at, days_late(d.due_at), steps.get(d.id, []))
             for d in dossiers if d.due_at is not None]
    return items, total


def escalations(uow: UnitOfWork, actor: Actor, unit: str | None = None,
                procedure: str | None = None) -> list[EscalationView]:
    """Open warnings, escalations and apology drafts of the actor's units (of one procedure, when given).

    A step shows once, at the highest level it reached: its earlier warning is history, not another alarm.
    """
    latest: dict[tuple[str, str | None, bool], EscalationView] = {}
    for view in open_escalations(uow, actor.officer_units, unit):  # oldest first: a later level replaces an earlier one
        latest[(view.dossier_code, view.escalation.task_id, view.escalation.kind == "apology")] = view
    views = list(latest.values())
    if not procedure or not views:
        return views
    codes = set(uow.session.scalars(select(Dossier.code).where(
        Dossier.code.in_({v.dossier_code for v in views}), Dossier.procedure_code == procedure)))
    return [v for v in views if v.dossier_code in codes]


# --- CSV -----------------------------------------------------------------------------------------------
# (field, Vietnamese header, English header); rates are percentages, as the page shows them.
FIGURE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("received", "Tiếp nhận", "Received"),
    ("online", "Trực tuyến", "Online"),
    ("rates.online", "Tỷ lệ trực tuyến (%)", "Online rate (%)"),
    ("supplement_requests", "Yêu cầu bổ sung", "Supplement requests"),
    ("processed", "Đã giải quyết", "Processed"),
    ("early", "Trước hạn", "Early"),
    ("on_time", "Đúng hạn", "On time"),
    ("late", "Trễ hạn", "Late"),
    ("rates.on_time", "Tỷ lệ đúng hạn (%)", "On-time rate (%)"),
    ("open_within_time", "Đang giải quyết trong hạn", "Open within time"),
    ("open_overdue", "Đang giải quyết quá hạn", "Open overdue"),
    ("paid", "Đã thanh toán", "Paid"),
    ("paid_online", "Thanh toán trực tuyến", "Paid online"),
    ("rates.online_payment", "Tỷ lệ thanh toán trực tuyến (%)", "Online payment rate (%)"),
    ("digitised", "Hồ sơ số hóa", "Digitised dossiers"),
    ("rates.digitisation", "Tỷ lệ số hóa hồ sơ (%)", "Digitisation rate (%)"),
    ("reused", "Hồ sơ tái sử dụng dữ liệu", "Dossiers with data reused"),
    ("rates.data_reuse", "Tỷ lệ tái sử dụng dữ liệu (%)", "Data reuse rate (%)"),
    ("electronic_results", "Kết quả điện tử", "Electronic results"),
    ("rates.electronic_results", "Tỷ lệ kết quả điện tử (%)", "Electronic result rate (%)"),
    ("ratings", "Lượt đánh giá", "Ratings"),
    ("dissatisfied", "Không hài lòng", "Dissatisfied"),
    ("rates.average_rating", "Điểm đánh giá trung bình", "Average rating"),
    ("rates.satisfaction", "Mức độ hài lòng (%)", "Satisfaction (%)"),
)
GROUP_HEADERS = {"unit": ("Mã đơn vị", "Đơn vị", "Unit code", "Unit"),
                 "procedure": ("Mã thủ tục", "Thủ tục", "Procedure code", "Procedure"),
                 "month": ("Tháng", "Kỳ", "Month", "Period"),
                 "none": ("Nhóm", "Kỳ", "Group", "Period")}
OVERDUE_HEADERS = (("Mã hồ sơ", "Dossier"), ("Mã thủ tục", "Procedure code"), ("Thủ tục", "Procedure"),
                   ("Đơn vị", "Unit"), ("Người nộp", "Applicant"), ("Trạng thái", "Status"),
                   ("Hạn giải quyết", "Due"), ("Số ngày làm việc trễ", "Working days late"),
                   ("Bước đang xử lý", "Current step"), ("Người xử lý", "Handler"))


def figure_value(figures: Figures, column: str) -> Any:
    if column.startswith("rates."):
        return figures.rates.get(column.removeprefix("rates."))
    return getattr(figures, column)


def figures_table(groups: Sequence[Figures], group_by: str, labels: dict[str, str],
                  lang: str = "vi") -> tuple[list[str], list[list[Any]]]:
    """Header and one row per group: the group's key and label, then every figure."""
    key_header, label_header, key_en, label_en = GROUP_HEADERS[group_by]
    header = [key_en, label_en] if lang == "en" else [key_header, label_header]
    header += [en if lang == "en" else vi for _, vi, en in FIGURE_COLUMNS]
    rows = [[g.key, labels.get(g.key, g.key)] + [figure_value(g, c) for c, _, _ in FIGURE_COLUMNS] for g in groups]
    return header, rows


def status_name(status: str, lang: str = "vi") -> str:
    vi, en = STATUS_NAMES.get(status, (status, status))
    return en if lang == "en" else vi


def overdue_table(items: Sequence[OverdueDossier], procedures: dict[str, str], units: dict[str, str],
                  lang: str = "vi") -> tuple[list[str], list[list[Any]]]:
    header = [en if lang == "en" else vi for vi, en in OVERDUE_HEADERS]
    rows = [[d.code, d.procedure_code, procedures.get(d.procedure_code, d.procedure_code),
             units.get(d.unit_code or "", d.unit_code or ""), d.applicant_name, status_name(d.status, lang),
             d.due_at, d.days_late,
             "; ".join(s.name for s in d.steps), "; ".join(s.assignee or "" for s in d.steps)]
            for d in items]
    return header, rows


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], lang: str = "vi") -> bytes:
    """A file a Vietnamese-locale spreadsheet opens as it is (`spreadsheet.py`: BOM, `;`, dates, no formulas)."""
    return spreadsheet.to_csv(header, rows, lang)
