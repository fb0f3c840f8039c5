"""The inbox PAGE (/inbox, server-rendered): its weight and its server time, with many open tasks.

    .venv/bin/python bench/inbox_page.py [--tasks 20000] [--requests 100] [--postgres] [--assigned]

Seeds N open tasks over 64 communes (as bench/inbox.py does; SQLite in a temporary folder by default, a
throwaway PostgreSQL with --postgres), signs in through the login form like a browser, then:
- page weight: the bytes of the HTML and of every stylesheet and script the page links (as sent and gzipped,
  which is what a commune's slow link carries), and whether any big bundle from /static/vendor/ is loaded;
- server time: the `Server-Timing: app;dur=` header of repeated GETs, p50/p95, for a commune specialist's
  default view, a search without diacritics, the overdue filter and a provincial leader's team view (which
  carries, per row, the leader's assign-to select with each candidate's load and the priority form).
--assigned gives a quarter of the tasks to their commune's specialist first, so the candidates' open and
overdue counts have real work to add up.
Prints figures; never fails on timing.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from inbox import PASSWORD, seed  # noqa: E402

from api import create_app  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

ASSET = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')
TIMING = re.compile(r"app;dur=([0-9.]+)")


@contextmanager
def sqlite_app() -> Iterator[Flask]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        app = create_app(Settings().with_overrides(database_url=url, secret_key="bench", scheduler=False))
        try:
            yield app
        finally:
            app.extensions["motcua"].engine.dispose()


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token, "the sign-in page has no CSRF token"
    resp = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status_code == 302, resp.status_code
    return client


def assign_a_quarter(app: Flask) -> None:
    """Tasks whose (random) id starts with 0-3 go to their commune's specialist."""
    from sqlalchemy import func, select, update

    from engine.dossiers.models import TaskRecord
    from engine.people.models import User

    services = app.extensions["motcua"]
    with services.session_factory() as session:
        people = dict(session.execute(select(User.username, User.id)).all())
        for i in range(64):
            session.execute(update(TaskRecord).where(TaskRecord.unit_code == f"X{i:02d}", TaskRecord.id < "4")
                            .values(assignee_id=people[f"cv{i:02d}"]))
        session.commit()
        held = session.scalar(select(func.count()).select_from(TaskRecord).where(TaskRecord.assignee_id.is_not(None)))
    print(f"assigned {held} tasks to their commune's specialist")


def weight(client: FlaskClient, path: str) -> None:
    page = client.get(path)
    html = page.get_data()
    rows = [("HTML " + path, len(html), len(gzip.compress(html)))]
    for asset in ASSET.findall(html.decode()):
        body = client.get(asset).get_data()
        rows.append((asset, len(body), len(gzip.compress(body))))
    print(f"\npage weight of {path} (what a browser with an empty cache downloads)")
    for name, raw, packed in rows:
        print(f"  {name:58s} {raw / 1024:8.1f} KiB {packed / 1024:8.1f} KiB gzipped")
    total, packed = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"  {'total':58s} {total / 1024:8.1f} KiB {packed / 1024:8.1f} KiB gzipped")
    vendor = [name for name, *_ in rows if "/vendor/" in name]
    print(f"  big bundles from /static/vendor/: {', '.join(vendor) if vendor else 'none'}")


def server_time(client: FlaskClient, path: str, requests: int) -> tuple[float, float, float, int]:
    client.get(path)  # warm the caches and the connection pool
    server, wall = [], []
    size = 0
    for _ in range(requests):
        t0 = time.perf_counter()
        resp = client.get(path)
        wall.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.status_code
        found = TIMING.search(resp.headers.get("Server-Timing", ""))
        assert found, "no Server-Timing header"
        server.append(float(found.group(1)))
        size = len(resp.get_data())
    server.sort()
    return statistics.median(server), server[int(len(server) * 0.95)], statistics.median(wall), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    parser.add_argument("--assigned", action="store_true", help="a quarter of the tasks held by an officer")
    args = parser.parse_args()
    if args.postgres:
        from pgbench_support import postgres_app
        context = postgres_app("inbox_page")
    else:
        context = sqlite_app()
    with context as app:
        print(f"database: {app.extensions['motcua'].engine.dialect.name}")
        seed(app, args.tasks)
        if args.assigned:
            assign_a_quarter(app)
        specialist, leader = signed_in(app, "cv07"), signed_in(app, "lanhdao_tinh")
        weight(specialist, "/inbox")
        weight(leader, "/inbox?view=team")
        cases = [
            ("commune specialist, default view (25 a page)", specialist, "/inbox"),
            ("commune specialist, search 'nguyen van' (no diacritics)", specialist, "/inbox?q=nguyen+van"),
            ("commune specialist, overdue, by priority", specialist, "/inbox?due=overdue&sort=priority"),
            ("province leader, team view (64 communes)", leader, "/inbox?view=team"),
            ("province leader, team view, page 40", leader, "/inbox?view=team&page=40"),
        ]
        print(f"\nserver time of GET /inbox over {args.requests} requests (Server-Timing app;dur)")
        print(f"  {'case':58s} {'p50':>9s} {'p95':>9s} {'wall p50':>9s} {'HTML':>9s}")
        for label, client, path in cases:
            p50, p95, wall, size = server_time(client, path, args.requests)
            print(f"  {label:58s} {p50:7.2f}ms {p95:7.2f}ms {wall:7.2f}ms {size / 1024:7.1f}K")


if __name__ == "__main__":
    main()
