"""The scheduler: fires BPMN timers every second, sweeps escalations, delivers the outbox, folds the open-task
counts, signs audit checkpoints and, hourly, drops ended throttle counters, each job in its own thread at its own
interval. It runs as its own process (`motcua scheduler`, or the child that `motcua serve` starts and restarts),
never inside the web server. Several schedulers may run at once: every job claims its rows (FOR UPDATE SKIP
LOCKED, compare-and-set updates), so nothing fires twice.

Why not APScheduler: every job is an interval job defined here, so its persistent job store kept nothing worth
keeping, and it built a second engine (SQLite without a busy timeout) whose errors stopped the scheduler thread
for good. Here a run that raises (a lock timeout, a lost connection, a bug) is logged, counted in the job's
heartbeat and tried again at the next interval; each successful run, even an empty one, writes the heartbeat
that `/healthz` reads.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.payments.reconcile import Detail, reconcile
from engine.people.signin import KNOWN_FOR, KNOWN_PREFIX
from engine.results.job import run_results
from engine.results.remote import Remote
from engine.store.throttle import purge
from engine.store.uow import UnitOfWork
from engine.sync.delivery import deliver as deliver_portal
from engine.time.clock import Clock, system_clock
from engine.work.counts import fold

from . import heartbeats
from .audit_export import export_checkpoint
from .delivery import Channels, deliver
from .escalation import sweep
from .models import JobRun
from .timers import fire_timers

log = logging.getLogger(__name__)

JOB_NAMES = ("timers", "sweep", "delivery", "counts", "purge", "checkpoint", "portal", "payments", "results",
             "archive")
COUNTER_LIFE = timedelta(days=1)  # the longest throttle window, but the sign-in's known addresses
PURGE_INTERVAL = 3600.0
# After this many failures in a row a job logs one line per failure instead of a whole traceback.
TRACEBACKS_PER_STREAK = 3


@dataclass
class JobContext:
    uow: Callable[[], UnitOfWork]
    channels: Channels
    webhook_url: str | None
    clock: Clock
    worker: str
    failures: dict[str, int] = field(default_factory=dict)  # failures in a row, per job
    portal: Callable[[dict[str, Any]], None] | None = None  # the portal connector's push (None: messages wait)
    portal_backoff_max: float = 300.0
    payment_detail: Detail | None = None  # the payment connector's detail (None: nothing to reconcile)
    payment_pending: timedelta = timedelta(minutes=15)  # how long a transaction waits before it is asked about
    remote_signing: Remote | None = None  # the remote signing service (None: only the plugin upload signs)
    # the archive's run (engine/archive, above this area: handed in by the entry point; None: the job waits)
    archive: Callable[[], tuple[int, float]] | None = None


def job_context(settings: Settings, uow: Callable[[], UnitOfWork], clock: Clock,
                sms: Callable[[str, str], None] | None = None,
                portal: Callable[[dict[str, Any]], None] | None = None,
                payment_detail: Detail | None = None, remote_signing: Remote | None = None,
                archive: Callable[[], tuple[int, float]] | None = None) -> JobContext:
    """What the jobs use: units of work opened by the process's runtime, the delivery channels (the SMS
    connector's send and the portal connector's push, handed in by the entry point), the clock."""
    channels = Channels(settings.smtp_host, settings.smtp_port, settings.smtp_sender, sms=sms)
    return JobContext(uow, channels, settings.webhook_url, clock, f"{socket.gethostname()}:{os.getpid()}",
                      portal=portal, portal_backoff_max=settings.portal_sync_backoff_max,
                      payment_detail=payment_detail, remote_signing=remote_signing,
                      payment_pending=timedelta(minutes=settings.payment_pending_minutes), archive=archive)


def _timers(ctx: JobContext) -> tuple[int, float]:
    return fire_timers(ctx.uow, webhook_url=ctx.webhook_url)  # one transaction per dossier


def _sweep(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:
        result = sweep(uow, webhook_url=ctx.webhook_url)
    return result.fired, result.max_lag_seconds


def _delivery(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:
        sent, failed, lag = deliver(uow, ctx.channels)
    return sent + failed, lag


def _counts(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:
        folded = fold(uow.session)
        uow.session.commit()
    return folded, 0.0


def _purge(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:
        now = ctx.clock()
        dropped = purge(uow.session, now - COUNTER_LIFE, keep=KNOWN_PREFIX)
        dropped += purge(uow.session, now - KNOWN_FOR, prefix=KNOWN_PREFIX)
        uow.session.commit()
    return dropped, 0.0


def _checkpoint(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:
        _, checkpoint = export_checkpoint(uow, ctx.webhook_url)
    return int(checkpoint is not None), 0.0


def _portal(ctx: JobContext) -> tuple[int, float]:
    with ctx.uow() as uow:  # in order per dossier; stops at the first sign that the portal is down
        done = deliver_portal(uow, ctx.portal, backoff_cap=ctx.portal_backoff_max)
    return done.sent + done.failed + done.retrying, done.max_lag_seconds


def _payments(ctx: JobContext) -> tuple[int, float]:
    done = reconcile(ctx.uow, ctx.payment_detail, ctx.payment_pending)  # the platform asked outside transactions
    return done.asked, done.max_lag_seconds


def _results(ctx: JobContext) -> tuple[int, float]:
    return run_results(ctx.uow, ctx.remote_signing).items, 0.0  # renderer, service, TSA outside transactions


def _archive(ctx: JobContext) -> tuple[int, float]:
    # packages made (rendered and signed outside transactions, recorded one by one) and purged
    return ctx.archive() if ctx.archive is not None else (0, 0.0)


WORK: dict[str, Callable[[JobContext], tuple[int, float]]] = {
    "timers": _timers, "sweep": _sweep, "delivery": _delivery, "counts": _counts, "purge": _purge,
    "checkpoint": _checkpoint, "portal": _portal, "payments": _payments, "results": _results,
    "archive": _archive}


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds
    work: Callable[[JobContext], tuple[int, float]]


def jobs_from(settings: Settings) -> list[Job]:
    intervals = {"timers": settings.timer_interval, "sweep": settings.sweep_interval,
                 "delivery": settings.delivery_interval, "counts": settings.counts_interval,
                 "purge": PURGE_INTERVAL, "checkpoint": settings.audit_checkpoint_interval,
                 "portal": settings.portal_sync_interval, "payments": settings.payment_reconcile_interval,
                 "results": settings.results_interval, "archive": settings.archive_interval}
    return [Job(name, intervals[name], WORK[name]) for name in JOB_NAMES]


def run_job(ctx: JobContext, job: Job) -> int:
    """One run of a job; never raises. Returns the items it handled (0 when it failed)."""
    started = ctx.clock()
    try:
        items, lag = job.work(ctx)
        if items:  # runs that did nothing leave only the heartbeat
            with ctx.uow() as uow:
                uow.session.add(JobRun(job=job.name, started_at=started, finished_at=ctx.clock(), items=items,
                                       max_lag_seconds=lag, worker=ctx.worker))
                uow.session.commit()
    except Exception as exc:
        _record_failure(ctx, job, exc)
        return 0
    if ctx.failures.pop(job.name, 0):
        log.warning("scheduler job %s succeeded again", job.name)
    _write_heartbeat(ctx, job, lambda session, now: heartbeats.beat(session, job.name, job.interval, ctx.worker,
                                                                      now))
    return items


def _record_failure(ctx: JobContext, job: Job, exc: Exception) -> None:
    streak = ctx.failures[job.name] = ctx.failures.get(job.name, 0) + 1
    if streak <= TRACEBACKS_PER_STREAK:
        log.exception("scheduler job %s failed (%d in a row); it runs again in %gs", job.name, streak, job.interval)
    else:
        log.error("scheduler job %s failed (%d in a row): %s: %s", job.name, streak, type(exc).__name__, exc)
    error = f"{type(exc).__name__}: {exc}"
    _write_heartbeat(ctx, job, lambda session, now: heartbeats.failed(session, job.name, job.interval, ctx.worker,
                                                                        now, error))


def _write_heartbeat(ctx: JobContext, job: Job, write: Callable[[Any, Any], None]) -> None:
    # Real time, not the context's clock: freshness is about the machine's time, even under a test's clock.
    try:
        with ctx.uow() as uow:
            write(uow.session, system_clock())
            uow.session.commit()
    except Exception as exc:  # the database is away: the next run writes it
        log.warning("scheduler job %s: heartbeat not written (%s)", job.name, type(exc).__name__)


class Scheduler:
    """Each job in its own daemon thread, at a fixed rate: a run that overruns its interval is followed at once
    by one more (missed runs are not replayed: each run takes everything due up to now)."""

    def __init__(self, context: JobContext, jobs: list[Job]) -> None:
        self.context = context
        self.jobs = {job.name: job for job in jobs}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._register()
        for job in self.jobs.values():
            thread = threading.Thread(target=self._loop, args=(job,), name=f"scheduler-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _register(self) -> None:
        try:
            with self.context.uow() as uow:
                for job in self.jobs.values():
                    heartbeats.register(uow.session, job.name, job.interval, self.context.worker, system_clock())
                uow.session.commit()
        except Exception as exc:  # the first heartbeats will write the rows
            log.warning("scheduler: jobs not registered (%s); carrying on", type(exc).__name__)

    def _loop(self, job: Job) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            run_job(self.context, job)
            due = max(due + job.interval, time.monotonic())

    def run_now(self, name: str) -> int:
        return run_job(self.context, self.jobs[name])

    def alive(self) -> bool:
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        self._stop.set()
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in self._threads:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def serve(self, stop: threading.Event, still_wanted: Callable[[], bool] = lambda: True,
              check_every: float = 1.0) -> int:
        """Run until `stop` is set or `still_wanted()` says no (0), or until a job thread has died (1, so that
        whatever supervises the process starts a fresh one)."""
        self.start()
        while not stop.wait(check_every):
            if not self.alive():
                log.critical("a scheduler thread stopped; exiting so that a fresh scheduler is started")
                self.shutdown(wait=False)
                return 1
            if not still_wanted():
                break
        self.shutdown(timeout=30)
        return 0


_LATEST: dict[str, Scheduler] = {}


def build_scheduler(settings: Settings, context: JobContext) -> Scheduler:
    scheduler = Scheduler(context, jobs_from(settings))
    _LATEST["default"] = scheduler
    return scheduler


def job_timers() -> int:
    """One run of a job of the scheduler built last (for a shell or a test)."""
    return _LATEST["default"].run_now("timers")


def job_sweep() -> int:
    return _LATEST["default"].run_now("sweep")


def job_delivery() -> int:
    return _LATEST["default"].run_now("delivery")


def job_counts() -> int:
    return _LATEST["default"].run_now("counts")


def job_purge() -> int:
    return _LATEST["default"].run_now("purge")


def job_checkpoint() -> int:
    return _LATEST["default"].run_now("checkpoint")


def job_portal() -> int:
    return _LATEST["default"].run_now("portal")


def job_payments() -> int:
    return _LATEST["default"].run_now("payments")


def job_results() -> int:
    return _LATEST["default"].run_now("results")


def job_archive() -> int:
    return _LATEST["default"].run_now("archive")


def job_health(session: Session, grace: timedelta) -> list[heartbeats.JobHealth]:
    """Each job this code defines, and whether it is overdue (its heartbeat against the machine's time)."""
    return heartbeats.job_health(session, JOB_NAMES, system_clock(), grace)


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
