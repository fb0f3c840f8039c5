"""Writing a unit of work's changes in one round trip on PostgreSQL.

The ORM's flush sends one statement per changed row. A step's completion changes a dossier, its step and the
next step: three round trips, each waiting on the server. Here the same changes go out as one statement with
data-modifying CTEs (`WITH w0 AS (UPDATE ... RETURNING 1), w1 AS (INSERT ... RETURNING 1) SELECT counts`),
and each row count is checked as the ORM checks it: an UPDATE that matched no row (a lost optimistic-lock race
on `lock_version`, or a row gone) raises `StaleDataError` and the transaction rolls back. The versioned UPDATE
goes first and every other write of the statement is conditional on it, so a lost race writes nothing (and
cannot trip over the winner's rows). SQLite has no data-modifying CTEs; there the same statements run one after
the other, each checked at once.

Statements are built once per shape (table, columns, position) with named parameters, so SQLAlchemy reuses
their compiled form and PostgreSQL their prepared plan; building them per call costs more than the ORM saves.
Only plain changes take this path: updates and inserts of mapped columns with primary keys known in Python.
Anything else (a delete, an insert whose key the database assigns) goes through the ORM's own flush.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError


@dataclass
class _Write:
    kind: str  # insert | update
    table: Table
    columns: tuple[str, ...]  # what is written
    params: dict[str, Any]  # column -> value; for updates also the key ("key__<col>") and the version read ("was__")
    obj: Any
    committed: dict[str, Any] = field(default_factory=dict)  # attribute -> value, recorded once written
    keys: tuple[str, ...] = ()  # an update's primary key columns
    version: str | None = None  # an update's version column: the optimistic lock

    def shape(self, n: int, guarded: bool) -> tuple[Any, ...]:
        return (n, self.kind, self.table.name, self.columns, self.keys, self.version, guarded)

    def bound(self, n: int) -> dict[str, Any]:
        return {f"w{n}_{name}": value for name, value in self.params.items()}


def flush(session: Session, then: Any = None, then_params: dict[str, Any] | None = None) -> Any:
    """Write the session's pending inserts and updates; fall back to the ORM for anything unusual.

    `then` is an `UPDATE ... RETURNING` built once (a module constant) that must run after the writes (the
    audit chain's head, whose lock every transaction takes last): when the writes go as one statement it goes
    with them, made to depend on them, and its first row is returned either way."""
    writes = None if session.deleted or not (session.new or session.dirty) else _plan(session)
    conn = session.connection()
    if writes is None:
        session.flush()
    elif conn.dialect.name == "postgresql" and len(writes) > 1 and sum(w.version is not None for w in writes) <= 1:
        params: dict[str, Any] = dict(then_params or {})
        for n, write in enumerate(writes):
            params.update(write.bound(n))
        row = conn.execute(_merged(writes, then), params).one()
        for write, count in zip(writes, row, strict=False):
            _check(write, count)
        _mark_written(session, writes)
        return tuple(row[len(writes):]) if then is not None else None
    else:
        for n, write in enumerate(writes):
            result = conn.execute(_single(write, n, guard=None), write.bound(n))
            if write.kind == "update":  # an INSERT writes its row or raises; drivers differ on its rowcount
                _check(write, result.rowcount)
        _mark_written(session, writes)
    return tuple(conn.execute(then, then_params or {}).one()) if then is not None else None


def _check(write: _Write, count: int) -> None:
    if count != 1:
        raise StaleDataError(f"{write.table.name}: expected to write 1 row; {count} were matched")


# --- statements, built once per shape --------------------------------------------------------------------
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_MAX_STATEMENTS = 512


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build()
    return statement


def _single(write: _Write, n: int, guard: Any) -> Any:
    return _cached(write.shape(n, guard is not None), lambda: _build(write, n, guard))


def _build(write: _Write, n: int, guard: Any) -> Any:
    table, p = write.table, f"w{n}_"
    if write.kind == "insert":
        if guard is None:
            return insert(table).values({c: bindparam(p + c) for c in write.columns})
        row = select(*[bindparam(p + c, type_=table.c[c].type) for c in write.columns]).where(guard)
        return insert(table).from_select(list(write.columns), row)
    where = [table.c[k] == bindparam(f"{p}key__{k}") for k in write.keys]
    if write.version is not None:
        where.append(table.c[write.version] == bindparam(f"{p}was__"))
    if guard is not None:
        where.append(guard)
    return update(table).where(*where).values({c: bindparam(p + c) for c in write.columns})


def _merged(writes: list[_Write], then: Any) -> Any:
    """One SELECT of row counts whose CTEs do the writes; the versioned UPDATE first, the rest guarded by it.
    A trailing `then` waits for every write: its WHERE reads their counts, which PostgreSQL evaluates before
    it scans (and locks) the trailing statement's row."""
    guarded = writes[0].version is not None

    def build() -> Any:
        ctes, guard = [], None
        for n, write in enumerate(writes):
            cte = _build(write, n, guard).returning(literal(1)).cte(f"w{n}")
            if n == 0 and guarded:
                guard = select(literal(1)).select_from(cte).exists()
            ctes.append(cte)
        counts = [select(func.count()).select_from(cte).scalar_subquery() for cte in ctes]
        if then is None:
            return select(*counts)
        after = then.where(*[count >= 0 for count in counts]).cte("then")
        return select(*counts, *after.c).select_from(after)

    shapes = tuple(w.shape(n, guarded and n > 0) for n, w in enumerate(writes))
    built_for, statement = _cached(("merged", id(then), *shapes), lambda: (then, build()))
    if built_for is not then:  # another statement now has that id: build afresh (`then` is meant to be a constant)
        built_for, statement = _STATEMENTS[("merged", id(then), *shapes)] = (then, build())
    return statement


# --- what the session holds --------------------------------------------------------------------------------
def _plan(session: Session) -> list[_Write] | None:
    """The writes: a versioned UPDATE first, then parents before children and, per table, updates before
    inserts (as the ORM orders them, so that foreign keys hold statement by statement)."""
    writes: list[_Write] = []
    for obj in session.new:
        write = _insert(obj)
        if write is None:
            return None
        writes.append(write)
    for obj in session.dirty:
        if not instance_state(obj).committed_state:
            continue  # touched, not changed
        write = _update(obj)
        if write is None:
            return None
        writes.append(write)
    if not writes:
        return None
    order = _table_order(writes[0].table)
    return sorted(writes, key=lambda w: (w.version is None, order[w.table.name], w.kind != "update"))


_ORDER: dict[int, dict[str, int]] = {}


def _table_order(table: Table) -> dict[str, int]:
    metadata = table.metadata
    order = _ORDER.get(id(metadata))
    if order is None or len(order) != len(metadata.tables):
        order = _ORDER[id(metadata)] = {t.name: n for n, t in enumerate(metadata.sorted_tables)}
    return order


def _insert(obj: Any) -> _Write | None:
    state = instance_state(obj)
    mapper = state.mapper
    table = mapper.local_table
    if not isinstance(table, Table) or mapper.version_id_col is not None:
        return None
    params: dict[str, Any] = {}
    committed: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.table is not table:
            return None
        if prop.key in state.dict:
            value = state.dict[prop.key]
        elif column.default is not None and (column.default.is_scalar or column.default.is_callable):
            # what the ORM would fill in at INSERT: the column's Python-side default
            value = column.default.arg if column.default.is_scalar else column.default.arg(None)
        elif column.server_default is not None:
            return None
        else:
            value = None
        if column.primary_key and value is None:
            return None  # the database assigns the key: the ORM must fetch it back
        params[column.name] = committed[prop.key] = value
    return _Write("insert", table, tuple(params), params, obj, committed)


def _update(obj: Any) -> _Write | None:
    state = instance_state(obj)
    mapper = state.mapper
    table = mapper.local_table
    if not isinstance(table, Table) or state.key is None:
        return None
    params: dict[str, Any] = {}
    committed: dict[str, Any] = {}
    for key in sorted(state.committed_state):
        prop = mapper.attrs.get(key)
        columns = getattr(prop, "columns", None)
        if not columns or columns[0].table is not table or columns[0].primary_key:
            return None  # a relationship, or a changed key: the ORM's business
        params[columns[0].name] = committed[key] = state.dict.get(key)
    if not params:
        return None
    version = mapper.version_id_col
    version_name = None
    if version is not None:
        version_key = mapper.get_property_by_column(version).key
        current = state.dict.get(version_key)
        if current is None or version.name in params:
            return None
        version_name = version.name
        params[version.name] = committed[version_key] = current + 1
        params["was__"] = current
    columns_written = tuple(c for c in params if c != "was__")
    for n, column in enumerate(mapper.primary_key):
        params[f"key__{column.name}"] = state.key[1][n]
    return _Write("update", table, columns_written, params, obj, committed,
                  keys=tuple(c.name for c in mapper.primary_key), version=version_name)


def _mark_written(session: Session, writes: list[_Write]) -> None:
    """Tell the ORM the rows are stored as they are now, as its own flush does once it has written them:
    inserted objects become persistent, and a rollback of the transaction still undoes both."""
    for write in writes:
        instance_state(write.obj).dict.update(write.committed)  # defaults filled in, the version moved on
    # SQLAlchemy 2.0's post-flush bookkeeping (identity map, committed state, the transaction's rollback list)
    session._register_persistent({instance_state(w.obj) for w in writes})
