"""Escalation sweep time with many open tasks, on PostgreSQL.

    .venv/bin/python bench/sweep.py [--tasks 200000] [--due 2000]

Seeds N open tasks (as bench/inbox.py does), makes `--due` of them due for a warning now and the rest due
later, then times: a sweep pass when nothing is due, and sweeping the due ones (each fired with its
notification, escalation row and audit entry, in passes of 500). Prints figures; never fails on timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbox import seed  # noqa: E402
from pgbench_support import postgres_app  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.scheduling.escalation import sweep  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--due", type=int, default=2000)
    args = parser.parse_args()
    with postgres_app("sweep") as app:
        seed(app, args.tasks)
        services = app.extensions["motcua"]
        now = datetime.now(UTC)
        with services.engine.begin() as conn:
            conn.execute(text("UPDATE tasks SET next_escalation_at = :later, due_at = :due"),
                         {"later": now + timedelta(days=30), "due": now + timedelta(days=31)})
            conn.execute(text("UPDATE tasks SET next_escalation_at = :now WHERE id IN "
                              "(SELECT id FROM tasks ORDER BY id LIMIT :n)"), {"now": now - timedelta(minutes=5),
                                                                             "n": args.due})
            conn.execute(text("ANALYZE"))
        t0 = time.perf_counter()
        passes, fired = 0, 0
        while True:
            with services.uow() as uow:
                result = sweep(uow, limit=500)
            passes += 1
            fired += result.fired
            if result.fired == 0:
                break
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        for _ in range(20):
            with services.uow() as uow:
                sweep(uow, limit=500)
        idle = (time.perf_counter() - t1) / 20
        print(f"open tasks: {args.tasks}; due now: {args.due}")
        print(f"sweep of the due ones: {fired} fired in {passes} passes, {elapsed:.2f} s "
              f"({elapsed / max(fired, 1) * 1000:.2f} ms per escalation, notification and audit entry)")
        print(f"idle sweep pass (nothing due among {args.tasks} open tasks): {idle * 1000:.2f} ms")


if __name__ == "__main__":
    main()
