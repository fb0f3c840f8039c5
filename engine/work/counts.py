"""How many open tasks a set of units holds, from the counts the database keeps (see `models.OpenTaskCount`):
a provincial leader's inbox total reads some sixty rows instead of counting two hundred thousand tasks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from engine.dossiers.models import TaskRecord
from engine.dossiers.projection import OPEN

from .models import OpenTaskCount

_TABLE = OpenTaskCount.__table__
# a unit and role with more than one row: something to fold
_MANY = (select(literal(1)).select_from(_TABLE).group_by(_TABLE.c.unit_code, _TABLE.c.role)
         .having(func.count() > 1).limit(1))
_SUM = (select(func.coalesce(func.sum(_TABLE.c.n), 0))
        .where(_TABLE.c.unit_code.in_(bindparam("units", expanding=True))))


def open_tasks(session: Session, units: Iterable[str]) -> int:
    """Open tasks of these units, every role."""
    return int(session.connection().execute(_SUM, {"units": sorted(units)}).scalar_one())


def fold(session: Session) -> int:
    """Replace the deltas by one row per unit and role. One `DELETE ... RETURNING` takes exactly the rows it
    removes (deltas committed meanwhile stay for the next fold), and the totals go back in the same
    transaction. Returns how many rows were folded; the caller commits."""
    conn = session.connection()
    if conn.execute(_MANY).scalar() is None:
        return 0  # already at most one row per unit and role
    totals: dict[tuple[str | None, str | None], int] = {}
    removed = conn.execute(delete(_TABLE).returning(_TABLE.c.unit_code, _TABLE.c.role, _TABLE.c.n)).all()
    for unit, role, n in removed:
        totals[unit, role] = totals.get((unit, role), 0) + n
    rows = [{"unit_code": unit, "role": role, "n": n} for (unit, role), n in totals.items() if n]
    if rows:
        conn.execute(insert(_TABLE), rows)
    return len(removed)


def recount(session: Session) -> None:
    """Rebuild the counts from the tasks themselves (after a restore, or to check them). The caller commits."""
    conn = session.connection()
    conn.execute(delete(_TABLE))
    rows = conn.execute(select(TaskRecord.unit_code, TaskRecord.role, func.count()).where(TaskRecord.state == OPEN)
                        .group_by(TaskRecord.unit_code, TaskRecord.role)).all()
    if rows:
        conn.execute(insert(_TABLE), [{"unit_code": u, "role": r, "n": n} for u, r, n in rows])
