"""Where the time of one task completion goes, phase by phase, on SQLite and PostgreSQL.

    .venv/bin/python bench/completion_phases.py [--dossiers N] [--no-postgres]

Drives the same interleaved traffic as `throughput.py` and times each phase of `POST /tasks/{id}/complete`
with wall-clock wrappers around the functions that do it (a few microseconds each, unlike a profiler's
overhead): the token check, the actor's memberships, the task and dossier read, the form validation, restoring
the workflow, running the engine, dumping the state, the projection, the flush, the audit seal, the commit.
What is left is Flask, the test client and marshmallow. SQL statements are counted per phase too (BEGIN and
COMMIT included). Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import throughput  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from SpiffWorkflow.task import Task  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import api.auth  # noqa: E402
import engine.dossiers.service as service  # noqa: E402
import engine.store.uow as uow_module  # noqa: E402

TOTALS: dict[str, float] = defaultdict(float)
STATEMENTS: dict[str, int] = defaultdict(int)
STACK: list[str] = []
STATE = {"on": False, "requests": 0, "time": 0.0}


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wall time of `fn`, net of the phases timed inside it."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not STATE["on"]:
            return fn(*args, **kwargs)
        STACK.append(name)
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t0
            STACK.pop()
            TOTALS[name] += elapsed
            if STACK:
                TOTALS[STACK[-1]] -= elapsed

    return wrapper


def patch(owner: Any, attr: str, name: str) -> None:
    setattr(owner, attr, timed(name, getattr(owner, attr)))


def install() -> None:
    patch(api.auth, "_request_user_id", "token check")
    patch(api.auth, "actor_for", "actor (memberships)")
    patch(service, "validate_form", "form validation")
    patch(service, "restore_workflow", "restore workflow")
    patch(service, "advance", "engine: run + advance")
    patch(Task, "run", "engine: run + advance")
    patch(service, "dump_workflow", "dump state")
    patch(service, "schedule_timers", "timers scan")
    patch(service, "sync_tasks", "projection")
    patch(uow_module, "seal", "audit seal")
    patch(Session, "flush", "flush (UPDATE/INSERT)")
    patch(uow_module, "flush", "flush (UPDATE/INSERT)")
    patch(Session, "commit", "COMMIT")
    real_execute = Session.execute

    def execute(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if statement is service.TASK_WITH_DOSSIER:
            return timed("task + dossier read", real_execute)(self, statement, *args, **kwargs)
        return real_execute(self, statement, *args, **kwargs)

    Session.execute = execute  # type: ignore[method-assign]
    real_post = FlaskClient.post

    def post(self: FlaskClient, url: str, *args: Any, **kwargs: Any) -> Any:
        if not url.endswith("/complete"):
            return real_post(self, url, *args, **kwargs)
        STATE["on"] = True
        STACK.append("Flask, test client, marshmallow")
        t0 = time.perf_counter()
        try:
            return real_post(self, url, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t0
            STACK.pop()
            TOTALS["Flask, test client, marshmallow"] += elapsed
            STATE["on"] = False
            STATE["requests"] += 1
            STATE["time"] += elapsed

    FlaskClient.post = post  # type: ignore[method-assign]


def count_statements(engine: Any) -> None:
    def count(*_args: Any) -> None:
        if STATE["on"]:
            STATEMENTS[STACK[-1] if STACK else "?"] += 1

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", count)
    event.listen(engine, "commit", count)


def report(name: str) -> None:
    n = STATE["requests"]
    print(f"\n{name}: {n} completions, {STATE['time'] / n * 1000:.2f} ms each")
    print(f"  {'phase':34s} {'ms':>7s} {'share':>6s} {'SQL':>5s}")
    for phase, total in sorted(TOTALS.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:34s} {total / n * 1000:7.3f} {100 * total / STATE['time']:5.1f}%"
              f" {STATEMENTS.get(phase, 0) / n:5.1f}")
    print(f"  {'SQL statements per completion':34s} {sum(STATEMENTS.values()) / n:19.1f}")
    TOTALS.clear()
    STATEMENTS.clear()
    STATE.update(requests=0, time=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--procedure", default="gpxd-nha-o")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    install()
    real_create_app = throughput.create_app

    def create_app(settings: Any) -> Any:
        app = real_create_app(settings)
        count_statements(app.extensions["motcua"].engine)
        return app

    throughput.create_app = create_app
    with tempfile.TemporaryDirectory() as tmp:
        throughput.api_path(args.procedure, args.dossiers, f"sqlite:///{tmp}/bench.db")
    report("SQLite")
    if not args.no_postgres:
        from tests import pgserver

        server = pgserver.start(durable=True)
        try:
            throughput.api_path(args.procedure, args.dossiers, server.create_database("phases"))
        finally:
            server.stop()
        report("PostgreSQL")


if __name__ == "__main__":
    main()
