"""Issue 16's citizen services against their real stand-ins, with Motcua served on 127.0.0.1 (threaded werkzeug):
the VNeID sign-in, the population look-up, and online payment.

    .venv/bin/python bench/citizen_services.py [--sign-ins N] [--lookups N] [--payments N] [--pending N]
                                               [--no-postgres] [--no-sqlite]

- sign-in: /citizen/login -> the provider's login form (npm `oidc-provider`, frontend/standins/) -> an account
  picked -> Motcua's callback (state, code exchange, ID token checked, userinfo) -> signed in; a fresh browser
  each time. p50 / p95.
- population: the signed-in citizen's own fill (POST /procedures/<code>/submit/population) and an officer's
  look-up (POST /api/v1/population/lookups), each with its log row and audit entry. p50 / p95.
- payment start: the pay button (POST /payments/start with the code and PIN) -> the platform's create -> the
  redirect to its pay page. p50 / p95.
- payment callback: the platform's "Thanh toán" (POST /pay/<id>), which posts its signed callback to Motcua and
  waits for the answer: the dossier paid and resumed. p50 / p95 (the stand-in's own work included).
- reconciliation: N transactions paid at the platform whose callback never came; the scheduler's `payments` job
  asks the platform about each and settles it (runs until none is left; a run takes at most 100).

Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from flask import Flask  # noqa: E402
from portal_sync import DECLARATION, HKD, PASSWORD, percentile, prepared  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from api import create_app  # noqa: E402
from api.payments import payment_detail  # noqa: E402
from connectors.identity.standin import start as start_provider  # noqa: E402
from connectors.payment.standin import start as start_platform  # noqa: E402
from connectors.population.standin import start as start_population  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.dossiers.models import Dossier  # noqa: E402
from engine.payments.models import PaymentTransaction  # noqa: E402
from engine.people.organisation import create_user  # noqa: E402
from engine.scheduling.scheduler import job_context, jobs_from, run_job  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests.identity_provider import AN, log_in_at_provider  # noqa: E402

GPXD = "gpxd-nha-o"
SUBMIT = f"/procedures/{GPXD}/submit"
CLIENT_ID, CLIENT_SECRET = "motcua-bench", "bi-mat-cua-motcua-trong-do-dac-0123456789"
POPULATION_TOKEN, PAYMENT_SECRET = "khoa-dan-cu-do-dac", "khoa-thanh-toan-do-dac"
PURPOSE = "Tiếp nhận hồ sơ đăng ký hộ kinh doanh"
OWNER = {"name": "Nguyễn Văn An", "id_number": AN, "address": "Số 25 đường Phan Ngọc Hiển, phường An Xuyên",
         "phone": "0912345678"}


def row(label: str, values: list[float]) -> None:
    p50, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
    print(f"  {label:<36} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (n={len(values)})")


def timed(work: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work(*args, **kwargs)
    return time.perf_counter() - started, result


def csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@contextmanager
def sqlite_app(**overrides: Any) -> Iterator[Flask]:
    folder = Path(tempfile.mkdtemp(prefix="motcua-bench-citizen-"))
    url = f"sqlite:///{folder / 'motcua.db'}"
    upgrade(url)
    app = create_app(Settings().with_overrides(database_url=url, secret_key="bench",
                                               audit_checkpoint_file=folder / "checkpoints.jsonl", **overrides))
    try:
        yield app
    finally:
        app.extensions["motcua"].engine.dispose()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def standins(url: str) -> Iterator[Any]:
    """The three stand-ins, and Motcua's settings naming them (read on each request, as in the tests)."""
    provider = start_provider(clients=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                        "application_type": "native",
                                        "redirect_uris": ["http://127.0.0.1/citizen/callback"]}])
    population = start_population(token=POPULATION_TOKEN)
    platform = start_platform(secret=PAYMENT_SECRET)
    settings = {"VNEID_ISSUER": provider.url, "VNEID_CLIENT_ID": CLIENT_ID, "VNEID_CLIENT_SECRET": CLIENT_SECRET,
                "POPULATION_URL": population.url, "POPULATION_TOKEN": POPULATION_TOKEN,
                "PAYMENT_URL": platform.url, "PAYMENT_SECRET": PAYMENT_SECRET, "PAYMENT_SERVICE_CODE": "G22-MOTCUA",
                "PAYMENT_ACCOUNT": "7111 0000 1234", "PAYMENT_BANK": "970415",
                "PAYMENT_ACCOUNT_NAME": "Kho bạc Nhà nước Cà Mau",
                "PAYMENT_CALLBACK_URL": f"{url}/api/v1/payments/callback",
                "PAYMENT_RETURN_URL": f"{url}/payments/return"}
    saved = {name: os.environ.get(f"MOTCUA_{name}") for name in settings}
    os.environ.update({f"MOTCUA_{name}": value for name, value in settings.items()})
    os.environ.pop("MOTCUA_VNEID_REDIRECT_URI", None)
    try:
        yield platform
    finally:
        for name, value in saved.items():
            os.environ.pop(f"MOTCUA_{name}", None) if value is None else os.environ.update({f"MOTCUA_{name}": value})
        platform.stop()
        population.stop()
        provider.stop()


def sign_in(url: str) -> requests.Session:
    """A fresh browser through the whole sign-in; it comes back signed in (to the declaration)."""
    browser = requests.Session()
    start = browser.get(f"{url}/citizen/login?next={SUBMIT}", allow_redirects=False, timeout=10)
    assert start.status_code == 303, start.text[:500]
    back = urlparse(log_in_at_provider(start.headers["Location"], AN))  # the provider's cookies: its own session
    done = browser.get(f"{url}{back.path}?{back.query}", allow_redirects=False, timeout=10)
    assert done.status_code == 303 and done.headers["Location"].endswith(SUBMIT), (done.status_code, done.text[:500])
    return browser


def bench_sign_in(url: str, n: int) -> requests.Session:
    times, browser = [], None
    for _ in range(n):
        seconds, browser = timed(sign_in, url)
        times.append(seconds)
    row("VNeID sign-in round trip", times)
    assert browser is not None
    return browser


def bench_population(app: Flask, url: str, citizen: requests.Session, n: int) -> None:
    own = []
    for _ in range(n):
        token = csrf(citizen.get(f"{url}{SUBMIT}", timeout=10).text)
        seconds, answer = timed(citizen.post, f"{url}{SUBMIT}/population", data={"csrf_token": token},
                                allow_redirects=False, timeout=10)
        assert answer.status_code == 303, answer.text[:500]
        own.append(seconds)
    row("population, the citizen's own fill", own)
    officer = requests.Session()
    token = officer.post(f"{url}/api/v1/auth/token", json={"username": "bench_lookup", "password": PASSWORD},
                         timeout=10).json()["access_token"]
    officer.headers["Authorization"] = f"Bearer {token}"
    asked = []
    for i in range(n):
        seconds, answer = timed(officer.post, f"{url}/api/v1/population/lookups", timeout=10, json={
            "personal_id": AN, "purpose": PURPOSE, "reference": f"counter:bench-{i}"})
        assert answer.status_code == 200, answer.text[:500]
        asked.append(seconds)
    row("population, an officer's look-up", asked)


def owing_dossiers(app: Flask, n: int) -> list[tuple[str, str]]:
    """Counter dossiers of a procedure with a fee, owed at submission: (code, PIN)."""
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "bench_all", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    made = []
    for _ in range(n):
        resp = client.post("/api/v1/dossiers", headers=headers, json={
            "procedure": HKD, "applicant": OWNER, "data": DECLARATION, "channel": "counter"})
        assert resp.status_code == 201, resp.get_json()
        made.append((resp.get_json()["code"], resp.get_json()["pin"]))
    return made


def start_paying(url: str, code: str, pin: str) -> tuple[float, str]:
    """The pay button on the tracking page: seconds to the platform's redirect, and the pay page's URL."""
    browser = requests.Session()
    token = csrf(browser.get(f"{url}/track", timeout=10).text)
    seconds, answer = timed(browser.post, f"{url}/payments/start", allow_redirects=False, timeout=10,
                            data={"code": code, "pin": pin, "csrf_token": token})
    assert answer.status_code == 303, answer.text[:500]
    return seconds, answer.headers["Location"]


def settled_by(app: Flask, tracking: list[str]) -> list[str]:
    """How each transaction was settled ("" while not paid)."""
    with app.extensions["motcua"].session_factory() as session:
        rows = session.execute(select(PaymentTransaction.state, PaymentTransaction.settled_by)
                               .where(PaymentTransaction.tracking_code.in_(tracking))).all()
    return [by or "" if state == "paid" else "" for state, by in rows]


def bench_payments(app: Flask, url: str, n: int) -> None:
    made = owing_dossiers(app, n)
    started, callbacks = [], []
    for code, pin in made:
        seconds, pay_url = start_paying(url, code, pin)
        started.append(seconds)
        seconds, answer = timed(requests.post, pay_url, data={"action": "pay"}, allow_redirects=False, timeout=10)
        assert answer.status_code == 303, answer.text[:500]
        callbacks.append(seconds)
    row("payment start -> platform redirect", started)
    row("payment callback, paid + resumed", callbacks)
    with app.extensions["motcua"].session_factory() as session:
        by = list(session.scalars(select(PaymentTransaction.settled_by).where(PaymentTransaction.state == "paid")))
    print(f"  paid by the callback: {by.count('callback')}/{len(made)}")


def bench_reconciliation(app: Flask, url: str, platform: Any, n: int) -> None:
    made = owing_dossiers(app, n)
    codes = [code for code, _ in made]
    for code, pin in made:
        start_paying(url, code, pin)
    with app.extensions["motcua"].session_factory() as session:
        tracking = list(session.scalars(select(PaymentTransaction.tracking_code).join(Dossier)
                                        .where(Dossier.code.in_(codes), PaymentTransaction.state == "pending")))
    for code in tracking:
        platform.settle(code)  # paid at the platform; the callback never came
    services = app.extensions["motcua"]
    ctx = job_context(services.settings, services.uow, services.clock, payment_detail=payment_detail())
    [job] = [j for j in jobs_from(services.settings) if j.name == "payments"]
    runs = asked = 0
    began = time.perf_counter()
    while (done := run_job(ctx, job)) and runs < 50:
        runs, asked = runs + 1, asked + done
    seconds = time.perf_counter() - began
    by = settled_by(app, tracking)
    print(f"  reconciliation: {len(tracking)} pending paid at the platform settled in {seconds:.2f} s "
          f"({runs} job runs, {asked} asked, {asked / seconds:.0f}/s); paid by reconciliation: "
          f"{by.count('reconciliation')}/{len(tracking)}")


def run(name: str, make: Callable[[], Any], args: argparse.Namespace) -> None:
    print(f"{name}:")
    with make() as app:
        prepared(app)
        with app.extensions["motcua"].session_factory() as session:
            create_user(session, "bench_lookup", PASSWORD, "Bench", [("CM-AX", "reception"),
                                                                     ("CM-AX", "population_lookup")])
            session.commit()
        with served(app) as url, standins(url) as platform:
            citizen = bench_sign_in(url, args.sign_ins)
            bench_population(app, url, citizen, args.lookups)
            bench_payments(app, url, args.payments)
            bench_reconciliation(app, url, platform, args.pending)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sign-ins", type=int, default=30)
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--payments", type=int, default=30)
    parser.add_argument("--pending", type=int, default=200, help="transactions for the reconciliation")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}")
    if not args.no_sqlite:
        run("SQLite", lambda: sqlite_app(payment_pending_minutes=0), args)
    if not args.no_postgres:
        from pgbench_support import postgres_app

        run("PostgreSQL", lambda: postgres_app("motcua_bench_citizen", payment_pending_minutes=0), args)


if __name__ == "__main__":
    main()
