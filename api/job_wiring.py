"""The scheduler's jobs get the connectors' functions here: the entry point hands them to the engine, which knows
no connector. A connector that is not configured hands None, and its job's work waits (or is skipped)."""

from __future__ import annotations

from typing import Any

from connectors.portal.client import pusher_from_env
from connectors.sms.client import sender_from_env
from engine.archive.service import archive_job, archiver_for
from engine.config import Settings
from engine.runtime import Runtime
from engine.scheduling.scheduler import job_context

from .payments import payment_detail
from .results import remote_signing


def wired_job_context(settings: Settings) -> Any:
    runtime = Runtime.from_settings(settings)
    sms = sender_from_env()
    return job_context(settings, runtime.uow, runtime.clock, sms=sms.send if sms else None, portal=pusher_from_env(),
                       payment_detail=payment_detail(), remote_signing=remote_signing(),
                       archive=archive_job(runtime.uow, archiver_for(settings)))
