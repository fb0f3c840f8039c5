"""Unit of work: one session, one transaction, committed explicitly or rolled back on the way out."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from .catalog import SpecCache
from .clock import Clock, system_clock


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, cache: SpecCache, clock: Clock = system_clock,
                 code_prefix: str = "MC") -> None:
        self._factory = session_factory
        self.cache = cache
        self.clock = clock
        self.code_prefix = code_prefix
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes everything after an error
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
