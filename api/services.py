"""What the app holds for its lifetime (engine, session factory, spec cache, clock), and the request's UoW."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from engine.calendar_store import CalendarProvider
from engine.catalog import SpecCache
from engine.clock import Clock
from engine.config import Settings
from engine.documents import DocumentRenderer
from engine.organisation import OrgCache
from engine.uow import UnitOfWork


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    cache: SpecCache
    calendars: CalendarProvider
    documents: DocumentRenderer
    org: OrgCache
    clock: Clock

    def uow(self) -> UnitOfWork:
        s = self.settings
        return UnitOfWork(self.session_factory, self.cache, self.calendars, self.clock,
                          code_pattern=s.dossier_code_pattern, code_prefix=s.dossier_code_prefix,
                          pin_secret=s.secret_key, org=self.org)


def services() -> Services:
    return current_app.extensions["motcua"]


def request_uow() -> UnitOfWork:
    """One unit of work per request, opened on first use and closed (rolled back if uncommitted) at teardown."""
    uow = g.get("uow")
    if uow is None:
        uow = services().uow().__enter__()
        g.uow = uow
    return uow


def init_request_uow(app: Flask) -> None:
    @app.teardown_request
    def _close_uow(exc: BaseException | None) -> None:
        uow = g.pop("uow", None)
        if uow is not None:
            uow.__exit__(None, None, None)
