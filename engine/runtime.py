"""What a process holds for its lifetime, built once from the settings: the database engine and session
factory, the compiled-spec cache, the unit tree and calendar caches, the clock, the document templates and the
script engine with the bounds of procedure code; and
the unit of work each request or scheduler job opens with them. The web app, the scheduler and the `motcua`
command all start here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from engine import schema  # noqa: F401  (every area's tables, so foreign keys between areas resolve)
from engine.config import Settings
from engine.dossiers.documents import DocumentRenderer
from engine.people.organisation import OrgCache
from engine.procedures.catalog import SpecCache
from engine.procedures.limits import ScriptLimits
from engine.procedures.sandbox import MotcuaScriptEngine
from engine.results.requests import ResultRequests
from engine.scheduling.citizen_messages import CitizenMessages
from engine.store.audit import AuditKeys
from engine.store.db import make_engine, make_session_factory
from engine.store.uow import UnitOfWork
from engine.sync.queue import PortalSync
from engine.time.calendar_store import CalendarProvider, read_calendar_file
from engine.time.clock import Clock, system_clock


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    cache: SpecCache
    calendars: CalendarProvider
    org: OrgCache
    clock: Clock

    documents: DocumentRenderer
    scripts: MotcuaScriptEngine
    audit_keys: AuditKeys

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        engine = make_engine(settings.database_url, echo=settings.sql_echo)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine),
                   cache=SpecCache(), org=OrgCache(ttl=settings.calendar_ttl_seconds),
                   calendars=CalendarProvider(read_calendar_file(settings.calendar_file).hours,
                                              ttl=settings.calendar_ttl_seconds),
                   clock=clock or system_clock, documents=DocumentRenderer(settings.documents_dir),
                   scripts=MotcuaScriptEngine(ScriptLimits(timeout=settings.script_timeout,
                                                           memory_bytes=settings.script_memory_mb * 1024 ** 2)),
                   audit_keys=AuditKeys.derive(settings.audit_key))

    def uow(self) -> UnitOfWork:
        s = self.settings
        return UnitOfWork(self.session_factory, cache=self.cache, calendars=self.calendars, org=self.org,
                          clock=self.clock, audit_keys=self.audit_keys, checkpoint_file=s.audit_checkpoint_file,
                          code_pattern=s.dossier_code_pattern, code_prefix=s.dossier_code_prefix,
                          pin_secret=s.secret_key, scripts=self.scripts,
                          observers=(ResultRequests(), CitizenMessages(s.public_url),
                                     *((PortalSync(),) if s.portal_sync else ())))
