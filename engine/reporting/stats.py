"""The figures a province is judged on, computed with SQL aggregates (no dossier is loaded).

For a period [start, end) of local dates:
- intake: dossiers received in the period, how many online, supplement requests;
- outcome: dossiers processed in the period, early / on time / late against the due date, which already
  excludes paused time (a pause moves the due date). A dossier with more than one supplement request counts
  as late, as the national index does;
- open: dossiers received before the end and not finished, within time or overdue at the end (or now), by the
  rule of `engine/dossiers/overdue.py` (a paused dossier is overdue only if it was before its pause);
- payments: online payments among dossiers paid in the period; ratings given in the period;
- digitisation (the national index's group "digitisation of dossiers and results"), over the dossiers received
  in the period: those whose documents are kept as digital copies (files attached, and every paper recorded as
  handed in at the counter or by post has its copy: scanned at the counter, sent online), and those whose
  applicant data was reused from earlier dossiers instead of asked again (`reused_fields` not empty); and, over
  the dossiers processed in the period, those whose result was issued electronically (an issued, signed
  result document: engine/results), the electronic results.
Satisfaction = 100 - (late % + dissatisfied-rating %), the national index's formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, String, and_, case, cast, exists, func, literal, or_, select, text
from sqlalchemy.sql import ColumnElement

from engine.dossiers.models import Attachment, Dossier
from engine.dossiers.overdue import overdue_when_open
from engine.errors import ValidationFailed
from engine.payments.models import PAID, PaymentTransaction
from engine.people.actors import Actor
from engine.results.models import ISSUED, ResultDocument
from engine.store.uow import UnitOfWork
from engine.time.clock import LOCAL_TZ

GROUPS = ("none", "unit", "procedure", "month")


@dataclass(frozen=True)
class StatsQuery:
    start: date
    end: date  # exclusive
    group_by: str = "none"
    unit: str | None = None
    procedure: str | None = None


@dataclass
class Figures:
    key: str
    received: int = 0
    online: int = 0
    supplement_requests: int = 0
    processed: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    open_within_time: int = 0
    open_overdue: int = 0
    paid: int = 0
    paid_online: int = 0
    digitised: int = 0
    reused: int = 0
    electronic_results: int = 0
    ratings: int = 0
    dissatisfied: int = 0
    rating_sum: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)

    def finish(self) -> Figures:
        def pct(part: int, whole: int) -> float | None:
            return round(100.0 * part / whole, 2) if whole else None

        late_pct, dislike_pct = pct(self.late, self.processed), pct(self.dissatisfied, self.ratings)
        self.rates = {
            "on_time": pct(self.early + self.on_time, self.processed),
            "late": late_pct,
            "online": pct(self.online, self.received),
            "online_payment": pct(self.paid_online, self.paid),
            "digitisation": pct(self.digitised, self.received),
            "data_reuse": pct(self.reused, self.received),
            "electronic_results": pct(self.electronic_results, self.processed),
            "average_rating": round(self.rating_sum / self.ratings, 2) if self.ratings else None,
            "satisfaction": None if late_pct is None and dislike_pct is None else
            round(100.0 - (late_pct or 0.0) - (dislike_pct or 0.0), 2),
        }
        return self


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def _local_date(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(func.timezone("Asia/Ho_Chi_Minh", column), Date)
    return func.date(column, "+7 hours")  # SQLite stores UTC; Vietnam has no daylight saving time


def _local_month(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Ho_Chi_Minh", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def _every_paper_copied(dialect: str) -> ColumnElement[bool]:
    """No paper recorded as handed in (`received_documents`, at the counter or by post) lacks a digital copy
    of its document; true when none was recorded (online: the files are what was sent)."""
    if dialect == "postgresql":
        papers = ("jsonb_array_elements(CASE WHEN jsonb_typeof(dossiers.received_documents) = 'array' "
                  "THEN dossiers.received_documents ELSE '[]'::jsonb END) AS paper(value)")
        code = "paper.value ->> 'code'"
    else:
        papers = ("json_each(CASE WHEN json_type(dossiers.received_documents) = 'array' "
                  "THEN dossiers.received_documents ELSE '[]' END) AS paper")
        code = "json_extract(paper.value, '$.code')"
    return text(f"NOT EXISTS (SELECT 1 FROM {papers} WHERE NOT EXISTS (SELECT 1 FROM attachments "
                f"WHERE attachments.dossier_id = dossiers.id AND attachments.document = {code}))")


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# Days a period may span: local midnight of 0001-01-01 is no UTC instant, and the day after 9999-12-31 is none.
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)


def compute(uow: UnitOfWork, actor: Actor, query: StatsQuery) -> list[Figures]:
    for name in ("start", "end"):
        if not EARLIEST <= getattr(query, name) <= LATEST:
            raise ValidationFailed("period out of range", {name: [f"Between {EARLIEST} and {LATEST}."]})
    if query.group_by not in GROUPS:
        raise ValidationFailed("unknown grouping", {"group_by": [f"One of: {', '.join(GROUPS)}."]})
    if query.end <= query.start:
        raise ValidationFailed("empty period", {"end": ["Must be after start."]})
    session = uow.session
    dialect = session.get_bind().dialect.name
    start, end = _utc(query.start), _utc(query.end)
    as_of = min(uow.clock(), end)
    scope: list[Any] = []
    units = sorted(actor.units)  # the units the caller's memberships cover, communes below a province included
    if query.unit:
        units = [u for u in units if u == query.unit]
    scope.append(or_(Dossier.competent_unit.in_(units), Dossier.reception_unit.in_(units)))
    if query.procedure:
        scope.append(Dossier.procedure_code == query.procedure)

    def key(date_column: Any) -> Any:
        if query.group_by == "unit":
            return func.coalesce(Dossier.competent_unit, "")
        if query.group_by == "procedure":
            return Dossier.procedure_code
        if query.group_by == "month":
            return _local_month(date_column, dialect)
        return literal("all")

    def grouped(date_column: Any, where: list[Any], *measures: Any) -> list[Any]:
        k = key(date_column).label("k")
        return list(session.execute(select(k, *measures).where(*scope, *where).group_by(k)))

    results: dict[str, Figures] = {}

    def add(rows: list[Any], names: tuple[str, ...]) -> None:
        for row in rows:
            figures = results.setdefault(str(row[0]), Figures(key=str(row[0])))
            for name, value in zip(names, row[1:], strict=True):
                setattr(figures, name, getattr(figures, name) + int(value or 0))

    in_period = lambda column: and_(column >= start, column < end)  # noqa: E731
    has_copy = and_(exists().where(Attachment.dossier_id == Dossier.id), _every_paper_copied(dialect))
    reused = and_(Dossier.reused_fields.is_not(None), cast(Dossier.reused_fields, String).not_in(["null", "[]"]))
    add(grouped(Dossier.received_at, [in_period(Dossier.received_at)], func.count(),
                _count(Dossier.channel == "online"), func.coalesce(func.sum(Dossier.supplement_count), 0),
                _count(has_copy), _count(reused)),
        ("received", "online", "supplement_requests", "digitised", "reused"))
    finished_day, due_day = _local_date(Dossier.processed_at, dialect), _local_date(Dossier.due_at, dialect)
    late = or_(Dossier.processed_at > Dossier.due_at, Dossier.supplement_count > 1)
    electronic = exists().where(ResultDocument.dossier_id == Dossier.id, ResultDocument.state == ISSUED)
    add(grouped(Dossier.processed_at, [in_period(Dossier.processed_at)], func.count(),
                _count(and_(~late, finished_day < due_day)), _count(and_(~late, finished_day >= due_day)),
                _count(late), _count(electronic)),
        ("processed", "early", "on_time", "late", "electronic_results"))
    add(grouped(Dossier.received_at, [Dossier.received_at < end, Dossier.received_at.is_not(None),
                                      or_(Dossier.finished_at.is_(None), Dossier.finished_at >= end)],
                _count(~overdue_when_open(as_of)), _count(overdue_when_open(as_of))),
        ("open_within_time", "open_overdue"))
    # paid online: the payment platform settled a transaction of the dossier (engine/payments), never a tick
    paid_online = exists().where(PaymentTransaction.dossier_id == Dossier.id, PaymentTransaction.state == PAID)
    add(grouped(Dossier.paid_at, [in_period(Dossier.paid_at)], func.count(), _count(paid_online)),
        ("paid", "paid_online"))
    add(grouped(Dossier.rated_at, [in_period(Dossier.rated_at)], func.count(), _count(Dossier.rating == 1),
                func.coalesce(func.sum(Dossier.rating), 0)),
        ("ratings", "dissatisfied", "rating_sum"))
    return [results[k].finish() for k in sorted(results)]


def month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following
