"""The dossier register: every dossier of the officer's units, whatever its state, found by code, applicant
(name without diacritics, personal id, tax code, business name) and filtered by procedure, unit, status,
channel, local date ranges, overdue and paused; sorted, paged, counted. Read from the `dossiers` row alone
(the applicant's facts are columns: `applicants.py`), never a workflow.

Paging: `offset` up to MAX_OFFSET, and beyond that (or for a stable walk, as the CSV export does) a keyset
cursor, `after`, naming the last row seen: each page then costs what the first does, however deep.
Totals (`_total`): on PostgreSQL counted exactly when the count takes at most COUNT_BUDGET_MS, otherwise the
planner's estimate, said to be one ("about 230,000"): counting a province's million dossiers exactly to print
it would cost many times the page itself, and nobody pages through more than ten thousand rows; they narrow
the search. On SQLite (small installations) counted exactly up to COUNT_LIMIT, then "more than COUNT_LIMIT".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select, text, tuple_, union_all
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.procedures.models import Procedure
from engine.store.uow import UnitOfWork
from engine.text import fold
from engine.time.clock import LOCAL_TZ

from .applicants import PERSON_ID, TAX_CODE
from .models import HANDLED_ELSEWHERE, Dossier
from .status import CHANNELS, FINAL_STATUSES, STATUS_CODES

SORTS = ("received", "due", "finished", "code")
ORDERS = ("desc", "asc")
DATE_RANGES = ("received", "due", "finished")
MAX_LIMIT = 500
MAX_OFFSET = 10_000
COUNT_LIMIT = 10_000
COUNT_BUDGET_MS = 20
MAX_QUERY = 100
EXPORT_BATCH = 2_000
EARLIEST, LATEST = date(1900, 1, 2), date(9998, 12, 30)  # local days that have a UTC instant either side
_SORT_COLUMNS = {"received": Dossier.received_at, "due": Dossier.due_at, "finished": Dossier.finished_at,
                 "code": Dossier.code}
COLUMNS = (Dossier.id, Dossier.code, Dossier.procedure_code, Dossier.status, Dossier.channel,
           Dossier.applicant_name, Dossier.applicant_kind, Dossier.applicant_key, Dossier.reception_unit,
           Dossier.competent_unit, Dossier.received_at, Dossier.due_at, Dossier.processed_at, Dossier.returned_at,
           Dossier.finished_at, Dossier.paused_at, Dossier.supplement_count, Dossier.result_delivery)


@dataclass(frozen=True)
class DateRange:
    start: date | None = None  # first local day, inclusive
    end: date | None = None  # last local day, inclusive


@dataclass(frozen=True)
class RegisterQuery:
    q: str | None = None
    procedure: str | None = None
    unit: str | None = None
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    received: DateRange = field(default_factory=DateRange)
    due: DateRange = field(default_factory=DateRange)
    finished: DateRange = field(default_factory=DateRange)
    overdue: bool | None = None
    paused: bool | None = None
    sort: str = "received"
    order: str = "desc"
    limit: int = 50
    offset: int = 0
    after: str | None = None  # the cursor of the last row of the previous page


@dataclass(frozen=True)
class RegisterPage:
    items: list[Row[Any]]  # rows named as Dossier's attributes (COLUMNS), read-only
    total: int
    total_kind: str  # exact, about (an estimate), more_than (at least COUNT_LIMIT): `_total`
    next_cursor: str | None  # `after` for the next page; None on the last one


def search_kind(q: str) -> str:
    """What a search text is taken for: 'key' (a 12-digit personal id or a tax code: matched exactly), or
    'text' (a part of the code, the applicant's or business's name, folded: no case, no diacritics)."""
    text = q.strip()
    return "key" if PERSON_ID.match(text) or TAX_CODE.match(text) else "text"


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def _check(query: RegisterQuery) -> None:
    errors: dict[str, list[str]] = {}
    if query.sort not in SORTS:
        errors["sort"] = [f"One of: {', '.join(SORTS)}."]
    if query.order not in ORDERS:
        errors["order"] = [f"One of: {', '.join(ORDERS)}."]
    unknown = [s for s in query.statuses if s not in STATUS_CODES]
    if unknown:
        errors["status"] = [f"Unknown status: {', '.join(sorted(unknown))}."]
    if query.channel is not None and query.channel not in CHANNELS:
        errors["channel"] = [f"One of: {', '.join(CHANNELS)}."]
    if query.q is not None and len(query.q) > MAX_QUERY:
        errors["q"] = [f"At most {MAX_QUERY} characters."]
    if not 1 <= query.limit <= MAX_LIMIT:
        errors["limit"] = [f"Between 1 and {MAX_LIMIT}."]
    if not 0 <= query.offset <= MAX_OFFSET:
        errors["offset"] = [f"Between 0 and {MAX_OFFSET}; page deeper with `after`."]
    for name in DATE_RANGES:
        span: DateRange = getattr(query, name)
        for end, day in (("from", span.start), ("to", span.end)):
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[f"{name}_{end}"] = [f"Between {EARLIEST} and {LATEST}."]
        if span.start and span.end and span.end < span.start:
            errors[f"{name}_to"] = ["Before the start of the range."]
    if errors:
        raise ValidationFailed("the register's filters are not valid", errors)


def _units(actor: Actor, unit: str | None) -> list[str]:
    units = actor.officer_units
    if not units:  # designers, reform officers, administrators: no citizen's data
        raise Forbidden("the register is for reception officers, specialists and leaders")
    if unit is not None:
        if unit not in units:  # an unknown unit and another's look alike
            raise NotFound(f"unit {unit} is not one of yours")
        return [unit]
    return sorted(units)


def _scope(uow: UnitOfWork, actor: Actor, unit: str | None) -> list[Any]:
    """The dossiers the actor may see, as disjoint branches (a dossier matches one at most), each of which an
    index on (unit, received_at) serves in order: received by one of the units, or handled by one of them and
    received elsewhere. "reception OR competent" in one condition can only be read as a bitmap of scattered
    rows, then sorted: a commune's register took 100 ms over a million dossiers that way. An actor who covers
    the whole organisation (a provincial leader) sees every dossier with a unit: one branch, read in order
    from the received index."""
    units = _units(actor, unit)
    if unit is None and set(uow.org.tree(uow.session).names) <= set(units):
        return [or_(Dossier.reception_unit.is_not(None), Dossier.competent_unit.is_not(None))]
    return [Dossier.reception_unit.in_(units),
            and_(text(f"({HANDLED_ELSEWHERE})"), Dossier.competent_unit.in_(units),  # the partial index's predicate
                 or_(Dossier.reception_unit.is_(None), Dossier.reception_unit.not_in(units)))]


def _conditions(uow: UnitOfWork, query: RegisterQuery, whole: bool) -> list[Any]:
    """The search's own conditions. `whole`: the scope is the whole organisation. Within a narrower scope (a
    commune's few ten thousand dossiers) the search text is matched on the unit index's copy of it, which is
    cheaper than the trigram index for common names (a trigram of "nguyen" lists a third of a province), so the
    trigram index is kept out there (`search_text || ''` is not what it indexes)."""
    conditions: list[Any] = []
    if query.procedure:
        if uow.session.get(Procedure, query.procedure) is None:
            raise ValidationFailed("unknown procedure", {"procedure": ["No such procedure."]})
        conditions.append(Dossier.procedure_code == query.procedure)
    if query.statuses:
        conditions.append(Dossier.status.in_(sorted(set(query.statuses))))
    if query.channel:
        conditions.append(Dossier.channel == query.channel)
    for name, column in (("received", Dossier.received_at), ("due", Dossier.due_at),
                         ("finished", Dossier.finished_at)):
        span: DateRange = getattr(query, name)
        if span.start:
            conditions.append(column >= _utc(span.start))
        if span.end:
            conditions.append(column < _utc(span.end + timedelta(days=1)))
    now = uow.clock()
    # open, not paused (a pause stops the clock and moves the due date when it ends) and past the due date
    if query.overdue:
        conditions.append(and_(Dossier.finished_at.is_(None), Dossier.paused_at.is_(None), Dossier.due_at < now))
    elif query.overdue is False:
        conditions.append(or_(Dossier.finished_at.is_not(None), Dossier.paused_at.is_not(None),
                              Dossier.due_at >= now, Dossier.due_at.is_(None)))
    if query.paused is not None:
        conditions.append(Dossier.paused_at.is_not(None) if query.paused else Dossier.paused_at.is_(None))
    wanted = (query.q or "").strip()
    if wanted:
        if search_kind(wanted) == "key":
            conditions.append(Dossier.applicant_key == wanted)
        elif fold(wanted):
            folded = fold(wanted)
            pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            searched = Dossier.search_text if whole else Dossier.search_text.concat("")
            conditions.append(searched.like(pattern, escape="\\"))
    return conditions


@dataclass(frozen=True)
class _Plan:
    branches: list[Any]  # disjoint scopes (`_scope`)
    filters: list[Any]  # the search's own conditions (`_conditions`)


def _plan(uow: UnitOfWork, actor: Actor, query: RegisterQuery) -> _Plan:
    _check(query)
    branches = _scope(uow, actor, query.unit)
    return _Plan(branches, _conditions(uow, query, whole=len(branches) == 1))


# --- the keyset cursor: the last row's sort value and id, tied to the sort it was made for -------------------
def _cursor(query: RegisterQuery, row: Row[Any]) -> str:
    value = getattr(row, _SORT_COLUMNS[query.sort].key)
    value = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
    raw = orjson.dumps([query.sort, query.order, value, row.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(query: RegisterQuery, cursor: str) -> tuple[Any, int]:
    bad = ValidationFailed("bad cursor", {"after": ["Not a cursor of this sort; use `next_cursor` as given."]})
    try:
        sort, order, value, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise bad from None
    if (sort, order) != (query.sort, query.order) or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise bad
    if not -2**63 <= last_id < 2**63:
        raise bad
    if value is not None and query.sort != "code":
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise bad from None
        if value.tzinfo is None:
            raise bad
    elif value is not None and not isinstance(value, str):
        raise bad
    return value, last_id


def _keys(uow: UnitOfWork, plan: _Plan, query: RegisterQuery, more: Sequence[Any], size: int,
          valueless: bool = False) -> list[Row[Any]]:
    """(sort value, id) of the first `size` rows in the sort's order: each branch read in its index's order and
    cut at `size`, then merged. `valueless`: the rows whose sort date is NULL, which come last, by id. Apart
    from those, the sort value is never NULL, so the plain order (which PostgreSQL's indexes serve either way)
    is the order wanted."""
    column, descending = _SORT_COLUMNS[query.sort], query.order == "desc"

    def order(value: Any, key: Any) -> list[Any]:
        if valueless:
            return [key.desc() if descending else key.asc()]
        return [value.desc(), key.desc()] if descending else [value.asc(), key.asc()]

    parts = [select(column.label("v"), Dossier.id.label("k")).where(branch, *plan.filters, *more)
             .order_by(*order(column, Dossier.id)).limit(size) for branch in plan.branches]
    if len(parts) == 1:
        statement = parts[0]
    else:
        merged = union_all(*(part.subquery().select() for part in parts)).subquery()
        statement = select(merged.c.v, merged.c.k).order_by(*order(merged.c.v, merged.c.k)).limit(size)
    return list(uow.session.connection().execute(statement))


def _page_ids(uow: UnitOfWork, plan: _Plan, query: RegisterQuery, limit: int, offset: int,
              after: tuple[Any, int] | None) -> list[int]:
    """The ids of a page: those with a sort value past the cursor (or the offset), then, when the page is not
    full yet, those without one. Two queries that indexes serve, rather than one with NULLS LAST that none does."""
    column, descending = _SORT_COLUMNS[query.sort], query.order == "desc"
    if after is not None and after[0] is None:  # already among the rows without a value
        past_id = Dossier.id < after[1] if descending else Dossier.id > after[1]
        return [r.k for r in _keys(uow, plan, query, [column.is_(None), past_id], limit, valueless=True)]
    more: list[Any] = [] if column is Dossier.code else [column.is_not(None)]
    if after is not None:
        key = tuple_(column, Dossier.id)
        more.append(key < after if descending else key > after)
    wanted = offset + limit
    found = _keys(uow, plan, query, more, wanted)
    if len(found) < wanted and column is not Dossier.code:
        found += _keys(uow, plan, query, [column.is_(None)], wanted - len(found), valueless=True)
    return [r.k for r in found[offset:wanted]]


def _rows(uow: UnitOfWork, ids: list[int], columns: Sequence[Any] = COLUMNS) -> list[Row[Any]]:
    if not ids:
        return []
    found = {r.id: r for r in uow.session.connection().execute(select(*columns).where(Dossier.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _total(uow: UnitOfWork, plan: _Plan) -> tuple[int, str]:
    """How many dossiers match, and how that was found: 'exact'; 'about' (PostgreSQL: the count did not finish
    within COUNT_BUDGET_MS, so the planner's estimate is given, as a search engine does); 'more_than'
    (SQLite: counted up to COUNT_LIMIT)."""
    session = uow.session
    if session.get_bind().dialect.name != "postgresql":
        capped = [select(Dossier.id).where(b, *plan.filters).limit(COUNT_LIMIT + 1) for b in plan.branches]
        found = sum(session.scalar(select(func.count()).select_from(c.subquery())) or 0 for c in capped)
        return (found, "exact") if found <= COUNT_LIMIT else (COUNT_LIMIT, "more_than")
    counts = [select(func.count()).select_from(Dossier).where(b, *plan.filters) for b in plan.branches]
    try:
        with session.begin_nested():  # a cancelled statement aborts only the savepoint (and its setting)
            connection = session.connection()  # asked for inside: that is when the session emits SAVEPOINT
            previous = connection.execute(text("SELECT current_setting('statement_timeout'), "
                                               "set_config('statement_timeout', :budget, true)"),
                                          {"budget": f"{COUNT_BUDGET_MS}ms"}).scalar_one()
            found = sum(connection.execute(c).scalar_one() for c in counts)
            connection.execute(text("SELECT set_config('statement_timeout', :was, true)"), {"was": previous})
        return found, "exact"
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled: anything else is a real error
            raise
    estimate, connection = 0, session.connection()
    for branch in plan.branches:
        statement = select(Dossier.id).where(branch, *plan.filters).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
        plan_json = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", statement.params).scalar_one()
        plan_json = orjson.loads(plan_json) if isinstance(plan_json, str | bytes) else plan_json
        estimate += int(plan_json[0]["Plan"]["Plan Rows"])
    return estimate, "about"


def search(uow: UnitOfWork, actor: Actor, query: RegisterQuery) -> RegisterPage:
    plan = _plan(uow, actor, query)
    after = _read_cursor(query, query.after) if query.after else None
    ids = _page_ids(uow, plan, query, query.limit + 1, 0 if after else query.offset, after)
    rows = _rows(uow, ids[:query.limit])
    total, kind = _total(uow, plan)
    seen = (0 if after else query.offset) + len(ids)  # one more than shown when there is a next page
    if kind == "about" and total < seen:  # the planner guessed low (a LIKE it cannot see into): say what is known
        last_page = len(ids) <= query.limit
        total, kind = (seen, "exact") if last_page and not after else (seen - (not last_page), "more_than")
    cursor = _cursor(query, rows[-1]) if len(ids) > query.limit and rows else None
    return RegisterPage(rows, total, kind, cursor)


def export_batches(uow: UnitOfWork, actor: Actor, query: RegisterQuery,
                   extra: Sequence[Any] = ()) -> Iterator[list[Row[Any]]]:
    """Every row of the register's result in its order (no paging), with the `extra` columns, in keyset batches
    of EXPORT_BATCH: a province's export never holds more than one batch, and no read waits on a server-side
    cursor. The filters are checked here, before the first batch is asked for, so that a bad one is a 422,
    not a broken download."""
    plan = _plan(uow, actor, query)
    start = _read_cursor(query, query.after) if query.after else None
    columns = (*COLUMNS, *extra)

    def batches() -> Iterator[list[Row[Any]]]:
        after = start
        while True:
            ids = _page_ids(uow, plan, query, EXPORT_BATCH, 0, after)
            rows = _rows(uow, ids, columns)
            if rows:
                yield rows
            if len(ids) < EXPORT_BATCH:
                return
            last = rows[-1]
            after = (getattr(last, _SORT_COLUMNS[query.sort].key), last.id)

    return batches()


def is_overdue(row: Any, now: datetime) -> bool:
    """The `overdue` filter's rule, for one row."""
    return row.finished_at is None and row.paused_at is None and row.due_at is not None and row.due_at < now


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES
