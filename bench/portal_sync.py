"""The portal sync against the stand-in portal, over real HTTP: lag, outbox throughput, and an outage's backlog.

    .venv/bin/python bench/portal_sync.py [--lag N] [--throughput N] [--backlog N] [--no-postgres] [--no-sqlite]

- lag: N counter dossiers submitted one after another (about 5 a second, as a busy province's peak) while a
  deliverer runs every `--interval` seconds, as the scheduler's "portal" job does; the lag of each message is from
  the commit of the change (the message's created_at) to the portal's acknowledgement (sent_at). p50 / p95 / max.
- throughput: N messages queued with the portal reachable, then delivered until none is left: messages/s through
  the whole path (lease, payload mapping, sign-in once, DongBoHoSoMC + CapNhatTienDoHoSoMC, commit per message).
- backlog: the portal goes down (its socket closed); N changes are made (dossiers received, a supplement requested
  and received, payment required and recorded: five changes each); the deliverer keeps trying during the outage;
  the portal comes back and the backlog drains. Prints the drain time and checks that every dossier's states
  reached the portal in the order they happened.

Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from api import create_app  # noqa: E402
from connectors.portal.client import PortalClient  # noqa: E402
from connectors.portal.config import PortalSettings  # noqa: E402
from connectors.portal.standin import StandinPortal, start  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.sync.delivery import deliver  # noqa: E402
from engine.sync.models import PortalMessage  # noqa: E402

HKD = "ho-kinh-doanh"
PASSWORD = "bench-password-1"
PATHS = json.loads((ROOT / "tests" / "data" / "paths.json").read_text(encoding="utf-8"))
APPLICANT, DECLARATION = PATHS[HKD]["applicant"], PATHS[HKD]["start"]


def prepared(app: Flask) -> None:
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        report = load_folder(session, services.cache, services.settings.processes_dir, services.settings.forms_dir)
        assert not report.failed, report.failed
        save_unit(session, "CM", "Trung tâm Phục vụ hành chính công tỉnh Cà Mau", "province", None)
        save_unit(session, "CM-AX", "Trung tâm Phục vụ hành chính công phường An Xuyên", "commune", "CM")
        create_user(session, "bench_all", PASSWORD, "Bench", [("CM-AX", r) for r in ("reception", "specialist",
                                                                                   "leader")])
        session.commit()


@contextmanager
def sqlite_app() -> Iterator[Flask]:
    folder = Path(tempfile.mkdtemp(prefix="motcua-bench-sync-"))
    url = f"sqlite:///{folder / 'motcua.db'}"
    upgrade(url)
    app = create_app(Settings().with_overrides(database_url=url, secret_key="bench",
                                               audit_checkpoint_file=folder / "checkpoints.jsonl"))
    try:
        yield app
    finally:
        app.extensions["motcua"].engine.dispose()


def portal_client(standin: StandinPortal, timeout: float = 5.0) -> PortalClient:
    return PortalClient(PortalSettings(url=standin.url, auth_path="/auth", call_path="/service", username="bench",
                                       password="bench", dstcode="H12", unit="H12", timeout=timeout,
                                       inbound_token=None))


class Officer:
    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        resp = self.client.post("/api/v1/auth/token", json={"username": "bench_all", "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}

    def submit(self) -> str:
        resp = self.client.post("/api/v1/dossiers", headers=self.headers, json={
            "procedure": HKD, "applicant": APPLICANT, "data": DECLARATION, "channel": "counter"})
        assert resp.status_code == 201, resp.get_json()
        return str(resp.get_json()["code"])

    def act(self, code: str, action: str, **params: Any) -> None:
        resp = self.client.post(f"/api/v1/dossiers/{code}/actions/{action}", headers=self.headers, json=params)
        assert resp.status_code == 200, resp.get_json()


def drain(app: Flask, push: Any, until_empty: bool = True) -> int:
    sent = 0
    while True:
        with app.extensions["motcua"].uow() as uow:
            done = deliver(uow, push)
        sent += done.sent
        if not until_empty or (done.sent == 0 and done.retrying == 0 and pending(app) == 0):
            return sent


def pending(app: Flask) -> int:
    with app.extensions["motcua"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(PortalMessage)
                                  .where(PortalMessage.state == "pending")) or 0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_lag(app: Flask, standin: StandinPortal, n: int, interval: float) -> None:
    officer, push, stop = Officer(app), portal_client(standin).push, threading.Event()

    def deliverer() -> None:
        while not stop.wait(interval):
            with app.extensions["motcua"].uow() as uow:
                deliver(uow, push)

    thread = threading.Thread(target=deliverer, daemon=True)
    thread.start()
    started = time.monotonic()
    for _ in range(n):
        officer.submit()
        time.sleep(0.2)
    while pending(app) and time.monotonic() - started < n + 60:
        time.sleep(0.1)
    stop.set()
    thread.join()
    with app.extensions["motcua"].session_factory() as session:
        rows = session.execute(select(PortalMessage.created_at, PortalMessage.sent_at)
                               .where(PortalMessage.state == "sent")).all()
    lags = [(sent - created).total_seconds() for created, sent in rows]
    print(f"  lag, change -> portal ack ({len(lags)} messages, deliverer every {interval:g} s): "
          f"p50 {statistics.median(lags):.2f} s  p95 {percentile(lags, 0.95):.2f} s  max {max(lags):.2f} s")


def queue_changes(app: Flask, dossiers: int) -> list[str]:
    """Five changes a dossier: received at the counter, supplement asked and received, payment asked and paid."""
    officer, codes = Officer(app), []
    for _ in range(dossiers):
        code = officer.submit()
        officer.act(code, "request_supplement", documents=["bien-ban-hop-thanh-vien"], guidance="Bổ sung biên bản.")
        officer.act(code, "supplement_received")
        officer.act(code, "require_payment", amount=100000)
        officer.act(code, "record_payment", online=False)
        codes.append(code)
    return codes


def bench_throughput(app: Flask, standin: StandinPortal, n: int) -> None:
    officer = Officer(app)
    for _ in range(n):
        officer.submit()
    started = time.monotonic()
    sent = drain(app, portal_client(standin).push)
    seconds = time.monotonic() - started
    print(f"  throughput: {sent} messages in {seconds:.1f} s = {sent / seconds:.0f} messages/s "
          f"({2 * sent / seconds:.0f} portal calls/s)")


def bench_backlog(app: Flask, standin: StandinPortal, changes: int) -> None:
    standin.down()
    push = portal_client(standin, timeout=1.0).push
    started = time.monotonic()
    codes = queue_changes(app, max(1, changes // 5))
    made = time.monotonic() - started
    queued = pending(app)
    drain(app, push, until_empty=False)  # the scheduler keeps trying during the outage: nothing is lost
    with app.extensions["motcua"].session_factory() as session:  # hours later: every retry is due again
        session.execute(update(PortalMessage).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))
        session.commit()
    standin.clear()
    standin.up()
    started = time.monotonic()
    sent = drain(app, push)
    seconds = time.monotonic() - started
    seen: dict[str, list[int]] = defaultdict(list)
    for record in standin.accepted("DongBoHoSoMC"):
        seen[record["SoBienNhan"]].append(record["TrangThaiHoSo"])
    in_order = sum(1 for code in codes if seen.get(code) == [2, 5, 2, 6, 2])
    print(f"  backlog: {queued} changes made during the outage in {made:.0f} s; drained {sent} in {seconds:.1f} s "
          f"= {sent / seconds:.0f} messages/s; dossiers with every state in order at the portal: "
          f"{in_order}/{len(codes)}")


def run(name: str, make: Any, args: argparse.Namespace) -> None:
    print(f"{name}:")
    for part, figure in (("lag", args.lag), ("throughput", args.throughput), ("backlog", args.backlog)):
        if not figure:
            continue
        standin = start()
        try:
            with make() as app:
                prepared(app)
                if part == "lag":
                    bench_lag(app, standin, figure, args.interval)
                elif part == "throughput":
                    bench_throughput(app, standin, figure)
                else:
                    bench_backlog(app, standin, figure)
        finally:
            standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lag", type=int, default=200, help="dossiers for the lag (0: skip)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between deliverer runs (lag)")
    parser.add_argument("--throughput", type=int, default=2000, help="messages for the throughput (0: skip)")
    parser.add_argument("--backlog", type=int, default=10000, help="changes made during the outage (0: skip)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        run("SQLite", sqlite_app, args)
    if not args.no_postgres:
        from pgbench_support import postgres_app

        run("PostgreSQL", lambda: postgres_app("motcua_bench_sync"), args)


if __name__ == "__main__":
    main()
