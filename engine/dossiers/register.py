"""The dossier register: every dossier of the officer's units, whatever its state, found by code, applicant
(name without diacritics, personal id, tax code, business name) and filtered by procedure, unit, status,
channel, local date ranges, overdue and paused; sorted, paged, counted. Read from the `dossiers` row alone
(the applicant's facts are columns: `applicants.py`), never a workflow.

What a search is, who sees what, and the cursor: `register_query.py`. How a page and its total are read at
scale (a million dossiers): `register_reading.py`.
Paging: `offset` up to MAX_OFFSET, and beyond that (or for a stable walk, as the CSV export does) a keyset
cursor, `after`, naming the last row seen: each page then costs what the first does, however deep.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .models import Dossier
from .register_query import (
    COLUMNS,
    COUNT_LIMIT,
    DATE_RANGES,
    EXPORT_BATCH,
    MAX_LIMIT,
    MAX_OFFSET,
    SORT_COLUMNS,
    SORTS,
    DateRange,
    RegisterPage,
    RegisterQuery,
    make_cursor,
    plan,
    read_cursor,
    search_kind,
)
from .register_reading import read_page, total
from .status import FINAL_STATUSES

__all__ = ["COUNT_LIMIT", "DATE_RANGES", "MAX_LIMIT", "MAX_OFFSET", "SORTS", "DateRange", "RegisterPage",
           "RegisterQuery", "export_batches", "is_final", "search", "search_kind"]


def _rows(uow: UnitOfWork, ids: list[int], columns: Sequence[Any] = COLUMNS) -> list[Row[Any]]:
    if not ids:
        return []
    found = {r.id: r for r in uow.session.connection().execute(select(*columns).where(Dossier.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def search(uow: UnitOfWork, actor: Actor, query: RegisterQuery) -> RegisterPage:
    searched = plan(uow, actor, query)
    after = read_cursor(query, query.after) if query.after else None
    offset, wanted = 0 if after else query.offset, query.limit + 1  # one more than shown: is there a next page
    found = read_page(uow, searched, wanted, offset, after)
    ids = found.ids
    rows = _rows(uow, ids[:query.limit])
    the_total, kind = (found.total, found.kind) if found.total is not None else total(uow, searched)
    seen = offset + len(ids)  # one more than shown when there is a next page
    if kind != "exact" and the_total < seen:  # an estimate below what is seen already: say what is known
        last_page = len(ids) <= query.limit
        the_total, kind = (seen, "exact") if last_page and not after else (seen - (not last_page), "more_than")
    cursor = make_cursor(query, rows[-1]) if len(ids) > query.limit and rows else None
    return RegisterPage(rows, the_total, kind, cursor)


def export_batches(uow: UnitOfWork, actor: Actor, query: RegisterQuery,
                   extra: Sequence[Any] = ()) -> Iterator[list[Row[Any]]]:
    """Every row of the register's result in its order (no paging), with the `extra` columns, in keyset batches
    of EXPORT_BATCH: a province's export never holds more than one batch, and no read waits on a server-side
    cursor. The filters are checked here, before the first batch is asked for, so that a bad one is a 422,
    not a broken download."""
    searched = plan(uow, actor, query)
    start = read_cursor(query, query.after) if query.after else None
    columns = (*COLUMNS, *extra)

    def batches() -> Iterator[list[Row[Any]]]:
        after = start
        while True:
            found = read_page(uow, searched, EXPORT_BATCH, 0, after)
            rows = _rows(uow, found.ids, columns)
            if rows:
                yield rows
            if len(found.ids) < EXPORT_BATCH:
                return
            last = rows[-1]
            after = (getattr(last, SORT_COLUMNS[query.sort].key), last.id)

    return batches()


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES
