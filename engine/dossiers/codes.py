"""Dossier codes from a configurable pattern, unique under concurrency, and the applicant's PIN.

The pattern (MOTCUA_CODE_PATTERN) may use {unit} (the reception unit, or the prefix when there is none),
{prefix}, {procedure}, {yyyy}, {yy}, {mm}, {dd}, {yymmdd} and must use {seq} (with any format, e.g.
{seq:05d}). The sequence counts per everything else in the code, through one atomic upsert.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.time.clock import LOCAL_TZ

from .models import CodeSequence

_SEQ = re.compile(r"\{seq(:[^}]*)?\}")
PIN_DIGITS = 8  # 10^8: tracking.py states what a guesser gets


def check_pattern(pattern: str) -> None:
    if len(_SEQ.findall(pattern)) != 1:
        raise ValueError("a dossier code pattern needs exactly one {seq}")
    render(pattern, unit="X", prefix="X", procedure="x", now=datetime.now(LOCAL_TZ), seq=1)


def render(pattern: str, *, unit: str, prefix: str, procedure: str, now: datetime, seq: int | None) -> str:
    local = now.astimezone(LOCAL_TZ)
    values = {"unit": unit, "prefix": prefix, "procedure": procedure, "yyyy": f"{local:%Y}",
              "yy": f"{local:%y}", "mm": f"{local:%m}", "dd": f"{local:%d}", "yymmdd": f"{local:%y%m%d}"}
    if seq is None:  # the scope of the counter: the code with its sequence left out
        return _SEQ.sub("#", pattern).format(**values)
    return pattern.format(seq=seq, **values)


def next_code(session: Session, pattern: str, *, unit: str | None, prefix: str, procedure: str,
              now: datetime) -> str:
    parts = {"unit": unit or prefix, "prefix": prefix, "procedure": procedure, "now": now}
    scope = render(pattern, seq=None, **parts)[:64]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CodeSequence).values(scope=scope, value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[CodeSequence.scope],
                                      set_={"value": CodeSequence.value + 1}).returning(CodeSequence.value)
    value = session.execute(stmt).scalar_one()
    return render(pattern, seq=value, **parts)


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
