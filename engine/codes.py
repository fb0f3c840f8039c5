"""Dossier codes: <prefix>-<yymmdd>-<sequence>, unique under concurrency via one atomic upsert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .clock import LOCAL_TZ
from .models import CodeSequence


def next_code(session: Session, prefix: str, now: datetime) -> str:
    day = now.astimezone(LOCAL_TZ).strftime("%y%m%d")
    scope = f"{prefix}-{day}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CodeSequence).values(scope=scope, value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[CodeSequence.scope],
                                      set_={"value": CodeSequence.value + 1}).returning(CodeSequence.value)
    value = session.execute(stmt).scalar_one()
    return f"{scope}-{value:05d}"
