"""The scheduler (APScheduler 3, jobs kept in the application database): fires BPMN timers every second,
sweeps escalations and delivers the outbox. It runs inside `motcua serve` (in the server's master process)
or on its own (`motcua scheduler`). Several schedulers may run at once: every job claims its rows
(FOR UPDATE SKIP LOCKED, compare-and-set updates), so nothing fires twice.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import func, select

from engine.config import Settings
from engine.store.uow import UnitOfWork
from engine.time.clock import Clock
from engine.work.counts import fold

from .audit_export import export_checkpoint
from .delivery import Channels, deliver
from .escalation import sweep
from .models import JobRun
from .timers import fire_timers

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    uow: Callable[[], UnitOfWork]
    channels: Channels
    webhook_url: str | None
    clock: Clock
    worker: str


CONTEXT: dict[str, JobContext] = {}


def job_context(settings: Settings, uow: Callable[[], UnitOfWork], clock: Clock) -> JobContext:
    """What the jobs use: units of work opened by the process's runtime, the delivery channels, the clock."""
    channels = Channels(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
    return JobContext(uow, channels, settings.webhook_url, clock, f"{socket.gethostname()}:{os.getpid()}")


def _run(job: str, work: Callable[[JobContext], tuple[int, float]]) -> int:
    ctx = CONTEXT["default"]
    started = ctx.clock()
    try:
        items, lag = work(ctx)
    except Exception:
        log.exception("scheduler job %s failed", job)
        return 0
    if items:
        with ctx.uow() as uow:
            uow.session.add(JobRun(job=job, started_at=started, finished_at=ctx.clock(), items=items,
                                   max_lag_seconds=lag, worker=ctx.worker))
            uow.session.commit()
    return items


def job_timers() -> int:
    return _run("timers", lambda ctx: fire_timers(ctx.uow))  # one transaction per dossier


def job_sweep() -> int:
    def work(ctx: JobContext) -> tuple[int, float]:
        with ctx.uow() as uow:
            result = sweep(uow, webhook_url=ctx.webhook_url)
        return result.fired, result.max_lag_seconds
    return _run("sweep", work)


def job_delivery() -> int:
    def work(ctx: JobContext) -> tuple[int, float]:
        with ctx.uow() as uow:
            sent, failed, lag = deliver(uow, ctx.channels)
        return sent + failed, lag
    return _run("delivery", work)


def job_counts() -> int:
    def work(ctx: JobContext) -> tuple[int, float]:
        with ctx.uow() as uow:
            folded = fold(uow.session)
            uow.session.commit()
        return folded, 0.0
    return _run("counts", work)


def job_checkpoint() -> int:
    def work(ctx: JobContext) -> tuple[int, float]:
        with ctx.uow() as uow:
            _, checkpoint = export_checkpoint(uow, ctx.webhook_url)
        return int(checkpoint is not None), 0.0
    return _run("checkpoint", work)


def build_scheduler(settings: Settings, context: JobContext, blocking: bool = False) -> Any:
    CONTEXT["default"] = context
    store = SQLAlchemyJobStore(url=settings.database_url, tablename="apscheduler_jobs")
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(jobstores={"default": store}, timezone=UTC,
                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    for job, seconds in (("timers", settings.timer_interval), ("sweep", settings.sweep_interval),
                         ("delivery", settings.delivery_interval), ("counts", settings.counts_interval),
                         ("checkpoint", settings.audit_checkpoint_interval)):
        scheduler.add_job(f"engine.scheduling.scheduler:job_{job}", "interval", seconds=seconds, id=job,
                          replace_existing=True)
    return scheduler


@dataclass(frozen=True)
class JobMetrics:
    job: str
    runs: int
    items: int
    max_lag_seconds: float
    avg_lag_seconds: float
    last_run: Any


def metrics(uow: UnitOfWork) -> list[JobMetrics]:
    rows = uow.session.execute(
        select(JobRun.job, func.count(), func.sum(JobRun.items), func.max(JobRun.max_lag_seconds),
               func.avg(JobRun.max_lag_seconds), func.max(JobRun.finished_at))
        .group_by(JobRun.job).order_by(JobRun.job)).all()
    return [JobMetrics(job, runs, int(items or 0), float(mx or 0), float(avg or 0), last)
            for job, runs, items, mx, avg, last in rows]
