"""How a register search is read: the ids of one page, and the total. Three ways to a page, cheapest first.

- **The window** (a search text over the whole organisation, in received order): the WINDOW newest (or oldest)
  dossiers are read in the received index's order from the index alone and the filters applied to them, after
  a first look at PROBE of them that sends a rare text on at once. A common name or business word ("cong ty
  tnhh thuy san") fills a page within a few thousand, where the trigram index would fetch every one of its ten
  thousand matches from the table to sort them. The total is estimated from the density of the (up to SAMPLE)
  matches among the dossiers examined: "about N".
- **The candidates** (a rarer search text, or a personal id or tax code): every match, up to CANDIDATES, found
  once and sorted by the database (over the whole organisation through the trigram index, within a commune in
  one pass over its units' index, which carries the search text); the page is cut from them and their number
  is the exact total: one statement where a page, its undated rows and a count took three.
- **In order** (everything else): each branch of the scope read in its index's order and cut at the page's
  end, merged, the offset skipped by the database. The total is counted exactly when the planner says that is
  cheap (COUNT_COST_LIMIT, with COUNT_BUDGET_MS as a guard where a search text blinds its estimate), otherwise
  the planner's estimate is given.
A search text with more than CANDIDATES matches over the whole organisation that are not dense among the newest
dossiers falls to the third way, its total "more than CANDIDATES"; bench/register.py measures the common cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, func, select, text, tuple_, union_all
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError

from engine.store.uow import UnitOfWork

from .models import REGISTER_COLUMNS, Dossier
from .register_query import COUNT_BUDGET_MS, COUNT_LIMIT, SORT_COLUMNS, Plan, conditions

WINDOW = 8_000  # newest dossiers examined before asking the trigram index (a page needs 1 in 160 to match)
PROBE = 1_000  # of them, looked at first
SAMPLE = 200  # matches read from the window, when it has them, to estimate the total from
CANDIDATES = 2_000  # matches of a search text read at once, sorted by the database, to page and count
COUNT_COST_LIMIT = 5_000.0  # planner cost units: about 20 ms of counting on the index alone


@dataclass(frozen=True)
class Found:
    ids: list[int]  # the page's ids, one more than the page when there is a next one
    total: int | None = None  # known already (None: `total` is asked)
    kind: str = "exact"  # of the total, as `total` says; "crowded": more than CANDIDATES matches, no page


def _postgres(uow: UnitOfWork) -> bool:
    return uow.session.get_bind().dialect.name == "postgresql"


def _direction(plan: Plan, value: Any, key: Any, valueless: bool = False) -> list[Any]:
    descending = plan.query.order == "desc"
    if valueless:
        return [key.desc() if descending else key.asc()]
    return [value.desc(), key.desc()] if descending else [value.asc(), key.asc()]


def _past(plan: Plan, after: tuple[Any, int], value: Any, key: Any) -> Any:
    pair = tuple_(value, key)
    return pair < after if plan.query.order == "desc" else pair > after


# --- the window ------------------------------------------------------------------------------------------------
def by_window(uow: UnitOfWork, plan: Plan, limit: int, offset: int, after: tuple[Any, int] | None
              ) -> Found | None:
    """The page from the WINDOW dossiers after the cursor in received order, or None if fewer than a page match."""
    if not (plan.text and plan.whole and plan.query.sort == "received") or (after is not None and after[0] is None):
        return None
    (branch,) = plan.branches
    order = _direction(plan, Dossier.received_at, Dossier.id)
    more = [Dossier.received_at.is_not(None)]
    if after is not None:
        more.append(_past(plan, after, Dossier.received_at, Dossier.id))
    carried = [getattr(Dossier, name) for name in REGISTER_COLUMNS]

    def read(size: int) -> list[Row[Any]]:
        w = select(Dossier.id, Dossier.received_at, *carried).where(branch, *more).order_by(*order).limit(size)
        c = w.subquery("w").c
        return list(uow.session.connection().execute(
            select(c.id, c.received_at).where(*conditions(uow, plan.query, True, c))
            .order_by(*_direction(plan, c.received_at, c.id)).limit(max(offset + limit, SAMPLE))))

    # a first look at PROBE dossiers: a text that would fill a page within the window shows there already
    # (at the window's least density, PROBE * needed / WINDOW matches are expected; fewer than a third of that
    # happens by chance less than once in a hundred), so a rare one goes to the trigram index at once
    needed = offset + limit
    probe = min(PROBE, WINDOW)
    rows = read(probe)
    if len(rows) < needed:
        if len(rows) * WINDOW * 3 < probe * needed:
            return None
        rows = read(WINDOW)
        if len(rows) < needed:
            return None
    page = rows[offset:needed]
    ids = [r.id for r in page]
    if not _postgres(uow):
        return Found(ids)  # counted as ever on SQLite
    # matches per dossier examined (those received up to the last match, at most WINDOW: counted on the index),
    # times the dossiers in scope
    reached = Dossier.received_at >= rows[-1].received_at if plan.query.order == "desc" else \
        Dossier.received_at <= rows[-1].received_at
    examined = uow.session.scalar(select(func.count()).select_from(
        select(Dossier.id).where(branch, *more, reached).limit(WINDOW).subquery())) or 1
    scope, _cost = _estimate(uow, select(Dossier.id).where(branch, Dossier.received_at.is_not(None)))
    density = min(len(rows) / examined, 1.0)
    return Found(ids, max(round(density * scope), len(rows)), "about")


# --- the candidates --------------------------------------------------------------------------------------------
def by_candidates(uow: UnitOfWork, plan: Plan, limit: int, offset: int, after: tuple[Any, int] | None
                  ) -> Found | None:
    """Every match of a search text or a personal id, when there are at most CANDIDATES, in the sort's order
    (missing values last); the page is cut from them after the cursor's row, or at the offset, and the total
    is their number. Over the whole organisation the trigram index finds them; within a commune, one pass over
    its units' index (which carries the search text). When there are more, the page is None ("crowded")."""
    if not (plan.text or plan.key):
        return None
    column = SORT_COLUMNS[plan.query.sort]

    def order(value: Any, key: Any) -> list[Any]:
        if plan.query.order == "desc":
            return [value.desc().nulls_last(), key.desc()]
        return [value.asc().nulls_last(), key.asc()]

    parts = [select(column.label("v"), Dossier.id.label("k")).where(branch, *plan.filters)
             .order_by(*order(column, Dossier.id)).limit(CANDIDATES + 1) for branch in plan.branches]
    if len(parts) == 1:
        statement = parts[0]
    else:
        merged = union_all(*(part.subquery().select() for part in parts)).subquery()
        statement = select(merged.c.v, merged.c.k).order_by(*order(merged.c.v, merged.c.k)).limit(CANDIDATES + 1)
    found = [row.k for row in uow.session.connection().execute(statement)]
    if len(found) > CANDIDATES:
        return Found([], CANDIDATES if plan.whole else None, "crowded")  # no page: `read_page` reads it in order
    start = offset
    if after is not None:
        if after[1] not in found:  # the cursor's row no longer matches: page the ordinary way
            return None
        start = found.index(after[1]) + 1
    return Found(found[start:start + limit], len(found))


# --- in order --------------------------------------------------------------------------------------------------
def _keys(uow: UnitOfWork, plan: Plan, more: Sequence[Any], size: int, offset: int = 0,
          valueless: bool = False) -> list[Row[Any]]:
    """(sort value, id) of `size` rows from `offset` in the sort's order: each branch read in its index's order
    and cut at `offset + size`, then merged; the database skips the offset. `valueless`: the rows whose sort
    date is NULL, which come last, by id. Apart from those, the sort value is never NULL, so the plain order
    (which PostgreSQL's indexes serve either way) is the order wanted."""
    column = SORT_COLUMNS[plan.query.sort]
    parts = [select(column.label("v"), Dossier.id.label("k")).where(branch, *plan.filters, *more)
             .order_by(*_direction(plan, column, Dossier.id, valueless)) for branch in plan.branches]
    if len(parts) == 1:
        statement = parts[0].limit(size).offset(offset)
    else:
        merged = union_all(*(part.limit(offset + size).subquery().select() for part in parts)).subquery()
        statement = (select(merged.c.v, merged.c.k).order_by(*_direction(plan, merged.c.v, merged.c.k, valueless))
                     .limit(size).offset(offset))
    return list(uow.session.connection().execute(statement))


def _valued_up_to(uow: UnitOfWork, plan: Plan, more: Sequence[Any], cap: int) -> int:
    """How many rows have a sort value, counted up to `cap` per branch."""
    return sum(uow.session.scalar(select(func.count()).select_from(
        select(Dossier.id).where(branch, *plan.filters, *more).limit(cap).subquery())) or 0
        for branch in plan.branches)


def in_order(uow: UnitOfWork, plan: Plan, limit: int, offset: int, after: tuple[Any, int] | None) -> Found:
    """The ids of a page: those with a sort value past the cursor (or the offset), then, when the page is not
    full yet, those without one. Two queries that indexes serve, rather than one with NULLS LAST that none does."""
    column = SORT_COLUMNS[plan.query.sort]
    if after is not None and after[0] is None:  # already among the rows without a value
        past_id = Dossier.id < after[1] if plan.query.order == "desc" else Dossier.id > after[1]
        return Found([r.k for r in _keys(uow, plan, [column.is_(None), past_id], limit, valueless=True)])
    more: list[Any] = [] if column is Dossier.code else [column.is_not(None)]
    if after is not None:
        more.append(_past(plan, after, column, Dossier.id))
    found = _keys(uow, plan, more, limit, offset)
    if len(found) < limit and column is not Dossier.code:
        skip = 0 if found or not offset else max(offset - _valued_up_to(uow, plan, more, offset), 0)
        found += _keys(uow, plan, [column.is_(None)], limit - len(found), skip, valueless=True)
    return Found([r.k for r in found])


def read_page(uow: UnitOfWork, plan: Plan, limit: int, offset: int, after: tuple[Any, int] | None) -> Found:
    """The page's ids the cheapest way that serves the search (the module's docstring), with its total when
    that way knows it."""
    found = by_window(uow, plan, limit, offset, after) or by_candidates(uow, plan, limit, offset, after)
    if found is not None and found.kind != "crowded":
        return found
    page = in_order(uow, plan, limit, offset, after)
    if found is not None and found.total is not None:  # crowded over the whole organisation: not counted
        return Found(page.ids, found.total, "more_than")
    return page


# --- totals ----------------------------------------------------------------------------------------------------
def _estimate(uow: UnitOfWork, statement: Select[Any]) -> tuple[int, float]:
    """The planner's rows and total cost for a statement (PostgreSQL)."""
    session = uow.session
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    found = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
    found = orjson.loads(found) if isinstance(found, str | bytes) else found
    return int(found[0]["Plan"]["Plan Rows"]), float(found[0]["Plan"]["Total Cost"])


def total(uow: UnitOfWork, plan: Plan) -> tuple[int, str]:
    """How many dossiers match, and how that was found: 'exact'; 'about' (PostgreSQL: the planner's estimate,
    when counting would cost more than COUNT_COST_LIMIT or did not finish within COUNT_BUDGET_MS, as a search
    engine does); 'more_than' (SQLite: counted up to COUNT_LIMIT)."""
    session = uow.session
    if not _postgres(uow):
        capped = [select(Dossier.id).where(b, *plan.filters).limit(COUNT_LIMIT + 1) for b in plan.branches]
        found = sum(session.scalar(select(func.count()).select_from(c.subquery())) or 0 for c in capped)
        return (found, "exact") if found <= COUNT_LIMIT else (COUNT_LIMIT, "more_than")
    estimates = [_estimate(uow, select(Dossier.id).where(b, *plan.filters)) for b in plan.branches]
    estimate = sum(rows for rows, _cost in estimates)
    if sum(cost for _rows, cost in estimates) > COUNT_COST_LIMIT:
        return estimate, "about"
    counts = [select(func.count()).select_from(Dossier).where(b, *plan.filters) for b in plan.branches]
    if not plan.text:  # the planner's estimate is sound: its cost is the guard
        return sum(session.connection().execute(c).scalar_one() for c in counts), "exact"
    try:  # it cannot see into a LIKE: the count runs within a time budget
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
    return estimate, "about"
