"""What officers read of a dossier (issue 13 §3): the server time of the dossier, its labelled steps, the leader's
approval task page (declaration and the appraisal beside their labels) and saving a draft.

    .venv/bin/python bench/officer_view.py [--requests 200] [--database-url URL]

A temporary SQLite database by default (or an empty database at URL, migrated first), the shipped procedures
and the test organisation; one dossier of ho-kinh-doanh appraised by the specialist. Prints p50/p95 in ms of
each request through Flask's test client (no network), and the page's own `Server-Timing` where it has one;
never fails on timing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests.conftest import OFFICERS, PASSWORD, UNITS, Api, make_settings  # noqa: E402
from tests.test_flow import PATHS  # noqa: E402

TIMING = re.compile(r"app;dur=([0-9.]+)")
HKD = "ho-kinh-doanh"


def run(url: str, requests: int) -> None:
    upgrade(url)
    settings = make_settings(url, scheduler=False)
    app = create_app(settings)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        for code, name, level, parent in UNITS:
            save_unit(session, code, name, level, parent)
        for username, memberships in OFFICERS.items():
            create_user(session, username, PASSWORD, username.title(), memberships)
        session.commit()
    api = Api(app.test_client())
    code = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": PATHS[HKD]["applicant"],
                                                   "data": PATHS[HKD]["start"]}).get_json()["code"]
    first = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    api.complete(first, "chuyenvien", PATHS[HKD]["steps"]["Task_ThamDinh"])
    approval = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    api.post(f"/tasks/{approval}/claim", "lanhdao")
    page = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get("/login").get_data(as_text=True))
    assert token
    page.post("/login", data={"username": "lanhdao", "password": PASSWORD, "csrf_token": token.group(1)})

    cases = {
        "GET /api/v1/dossiers/{code}": lambda: api.get(f"/dossiers/{code}", "lanhdao"),
        "GET /api/v1/dossiers/{code}/steps": lambda: api.get(f"/dossiers/{code}/steps", "lanhdao"),
        "GET /tasks/{approval} (page)": lambda: page.get(f"/tasks/{approval}"),
        "GET /dossiers/{code} (page)": lambda: page.get(f"/dossiers/{code}"),
        "PUT /api/v1/tasks/{approval}/draft": lambda: api.call(
            "PUT", f"/tasks/{approval}/draft", "lanhdao", json={"data": {"y_kien_lanh_dao": "Đang xem"}}),
    }
    print(f"{'request':40} {'p50 ms':>8} {'p95 ms':>8} {'app p50':>8} {'bytes':>8}")
    for name, call in cases.items():
        times, app_times, size = [], [], 0
        for _ in range(requests):
            started = time.perf_counter()
            resp = call()
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (name, resp.status_code)
            found = TIMING.search(resp.headers.get("Server-Timing", ""))
            if found:
                app_times.append(float(found.group(1)))
            size = len(resp.get_data())
        times.sort()
        own = f"{statistics.median(app_times):8.2f}" if app_times else f"{'—':>8}"
        print(f"{name:40} {statistics.median(times):8.2f} {times[int(len(times) * 0.95) - 1]:8.2f} {own} {size:8d}")
    services.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.requests)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", args.requests)


if __name__ == "__main__":
    main()
