"""Unit of work: one session, one transaction, committed explicitly or rolled back on the way out.

State changes record audit entries here; `commit` flushes the changes, seals the entries into the keyed hash
chain (taking the chain's head lock last, so every transaction locks in the same order) and commits.

Observers (handed in by the runtime) see a transaction's audit entries just before it commits and may add rows
to it: the outbox's messages to citizens are written so, in the same transaction as the change they report,
without the area that made the change knowing of them.

A use case also reads the process-wide caches of the areas above (compiled specs, the unit tree, the
calendar) and runs procedure code with the runtime's script engine. Whoever opens the unit of work hands
them in (`engine.runtime`); this module names their types for the type checker only, so the store imports
nothing above itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from .audit import AuditKeys, reservation, seal
from .flush import flush

if TYPE_CHECKING:
    from engine.people.actors import Actor
    from engine.people.organisation import OrgCache
    from engine.procedures.catalog import SpecCache
    from engine.procedures.sandbox import MotcuaScriptEngine
    from engine.time.calendar_store import CalendarProvider
    from engine.time.working_time import WorkingCalendar

DEFAULT_CODE_PATTERN = "{unit}-{yymmdd}-{seq:05d}"


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, *, cache: SpecCache, calendars: CalendarProvider,
                 org: OrgCache, clock: Callable[[], datetime], audit_keys: AuditKeys, checkpoint_file: Path,
                 code_pattern: str = DEFAULT_CODE_PATTERN, code_prefix: str = "MC", pin_secret: str = "",
                 scripts: MotcuaScriptEngine | None = None,
                 observers: Sequence[Callable[[UnitOfWork, list[dict[str, Any]]], None]] = ()) -> None:
        self._factory = session_factory
        self.audit_keys = audit_keys  # the chain's key, and where its checkpoints are kept (store/checkpoints.py)
        self.checkpoint_file = checkpoint_file
        self.cache = cache
        self.calendars = calendars
        self.org = org
        self.clock = clock
        self.code_pattern = code_pattern
        self.code_prefix = code_prefix
        self.pin_secret = pin_secret
        self.scripts = scripts  # runs procedure code within the configured bounds (None: the defaults)
        self.observers = tuple(observers)  # called with the pending audit entries before each commit
        self.session: Session
        self.pending_audit: list[dict[str, Any]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.pending_audit = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes everything after an error
        finally:
            self.pending_audit = []
            self.session.close()

    @property
    def calendar(self) -> WorkingCalendar:
        return self.calendars.get(self.session)

    def record(self, actor: Actor | None, action: str, entity: str, entity_id: str | int | None = None, *,
               unit: str | None = None, dossier_id: int | None = None, task_id: str | None = None,
               step: str | None = None, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
        """Append an audit entry to this transaction (who, when, what, from which unit, before/after)."""
        self.pending_audit.append({
            "at": (at or self.clock()).astimezone(UTC), "actor_id": actor.user_id if actor else None,
            "actor_unit": unit if unit is not None else (actor.unit_code if actor else None), "action": action,
            "entity": entity, "entity_id": None if entity_id is None else str(entity_id), "dossier_id": dossier_id,
            "task_id": task_id, "step": step, "before": before, "after": after, "detail": detail or {}})

    def commit(self) -> None:
        # the changes first, in one statement where the database allows it, and the audit chain's head (whose
        # lock every transaction takes last) reserved in the same round trip
        reserved = None
        if self.pending_audit:
            for observe in self.observers:
                with self.session.no_autoflush:
                    observe(self, self.pending_audit)
        if self.pending_audit:
            statement, params = reservation(self.pending_audit)
            reserved = flush(self.session, then=statement, then_params=params)
        else:
            flush(self.session)
        seal(self.session, self.pending_audit, self.audit_keys, reserved)
        self.pending_audit = []
        self.session.commit()
