"""What a register search is: its filters (checked), the dossiers the officer may see (disjoint branches, each
served in order by an index), the search's own conditions, and the keyset cursor. `register.py` runs it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, or_, text
from sqlalchemy.engine import Row

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.procedures.models import Procedure
from engine.store.uow import UnitOfWork
from engine.text import fold
from engine.time.clock import LOCAL_TZ

from .applicants import PERSON_ID, TAX_CODE
from .models import HANDLED_ELSEWHERE, Dossier
from .overdue import overdue_at
from .status import CHANNELS, STATUS_CODES

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
SORT_COLUMNS = {"received": Dossier.received_at, "due": Dossier.due_at, "finished": Dossier.finished_at,
                 "code": Dossier.code}
COLUMNS = (Dossier.id, Dossier.code, Dossier.procedure_code, Dossier.status, Dossier.channel,
           Dossier.applicant_name, Dossier.applicant_kind, Dossier.applicant_key, Dossier.reception_unit,
           Dossier.competent_unit, Dossier.received_at, Dossier.due_at, Dossier.processed_at, Dossier.returned_at,
           Dossier.finished_at, Dossier.paused_at, Dossier.supplement_count, Dossier.result_delivery,
           Dossier.portal_code)


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


def conditions(uow: UnitOfWork, query: RegisterQuery, whole: bool, d: Any = Dossier) -> list[Any]:
    """The search's own conditions, on the columns of `d` (the table, or a subquery of its register columns).
    `whole`: the scope is the whole organisation. Within a narrower scope (a commune's few ten thousand
    dossiers) the search text is matched on the unit index's copy of it, which is cheaper than the trigram
    index for common names (a trigram of "nguyen" lists a third of a province), so the trigram index is kept
    out there (`search_text || ''` is not what it indexes)."""
    conditions: list[Any] = []
    if query.procedure:
        if uow.session.get(Procedure, query.procedure) is None:
            raise ValidationFailed("unknown procedure", {"procedure": ["No such procedure."]})
        conditions.append(d.procedure_code == query.procedure)
    if query.statuses:
        conditions.append(d.status.in_(sorted(set(query.statuses))))
    if query.channel:
        conditions.append(d.channel == query.channel)
    for name, column in (("received", d.received_at), ("due", d.due_at),
                         ("finished", d.finished_at)):
        span: DateRange = getattr(query, name)
        if span.start:
            conditions.append(column >= _utc(span.start))
        if span.end:
            conditions.append(column < _utc(span.end + timedelta(days=1)))
    now = uow.clock()
    if query.overdue:  # the rule of `overdue.py`
        conditions.append(overdue_at(now, d))
    elif query.overdue is False:
        conditions.append(or_(d.finished_at.is_not(None), d.due_at.is_(None), ~overdue_at(now, d)))
    if query.paused is not None:
        conditions.append(d.paused_at.is_not(None) if query.paused else d.paused_at.is_(None))
    wanted = (query.q or "").strip()
    if wanted:
        if search_kind(wanted) == "key":
            conditions.append(d.applicant_key == wanted)
        elif fold(wanted):
            folded = fold(wanted)
            pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            searched = d.search_text if whole else d.search_text.concat("")
            conditions.append(searched.like(pattern, escape="\\"))
    return conditions


@dataclass(frozen=True)
class Plan:
    query: RegisterQuery
    branches: list[Any]  # disjoint scopes (`_scope`)
    filters: list[Any]  # the search's own conditions (`conditions`)
    text: bool  # a search text to be matched anywhere in the code, the names (not a personal id or tax code)
    key: bool  # a personal id or a tax code, matched exactly

    @property
    def whole(self) -> bool:
        """The whole organisation, in one branch (a provincial leader's register)."""
        return len(self.branches) == 1


def plan(uow: UnitOfWork, actor: Actor, query: RegisterQuery) -> Plan:
    _check(query)
    branches = _scope(uow, actor, query.unit)
    wanted = (query.q or "").strip()
    kind = search_kind(wanted) if wanted else None
    return Plan(query, branches, conditions(uow, query, whole=len(branches) == 1),
                text=kind == "text" and bool(fold(wanted)), key=kind == "key")


# --- the keyset cursor: the last row's sort value and id, tied to the sort it was made for -------------------
def make_cursor(query: RegisterQuery, row: Row[Any]) -> str:
    value = getattr(row, SORT_COLUMNS[query.sort].key)
    value = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
    raw = orjson.dumps([query.sort, query.order, value, row.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(query: RegisterQuery, cursor: str) -> tuple[Any, int]:
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


