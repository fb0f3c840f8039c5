"""Unit of work: one session, one transaction, committed explicitly or rolled back on the way out."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from .calendar_store import CalendarProvider
from .catalog import SpecCache
from .clock import Clock, system_clock
from .working_time import WorkingCalendar, WorkingHours

DEFAULT_CODE_PATTERN = "{unit}-{yymmdd}-{seq:05d}"


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, cache: SpecCache, calendars: CalendarProvider | None = None,
                 clock: Clock = system_clock, code_pattern: str = DEFAULT_CODE_PATTERN,
                 code_prefix: str = "MC", pin_secret: str = "") -> None:
        self._factory = session_factory
        self.cache = cache
        self.calendars = calendars or CalendarProvider(WorkingHours())
        self.clock = clock
        self.code_pattern = code_pattern
        self.code_prefix = code_prefix
        self.pin_secret = pin_secret
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

    @property
    def calendar(self) -> WorkingCalendar:
        return self.calendars.get(self.session)

    def commit(self) -> None:
        self.session.commit()
