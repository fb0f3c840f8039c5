"""Browser tests: the real app served on a free localhost port, driven by Playwright in Debian's Chromium.

Each test module gets its own server and database, once on SQLite and once on PostgreSQL (loaded with the
shipped procedures, the test organisation and accounts). A failing test leaves a screenshot in tests/screenshots/.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from api import create_app
from engine.config import PROJECT_ROOT
from engine.people.organisation import create_user, save_unit
from engine.procedures.catalog import load_folder
from engine.store.migrate import upgrade

from ..conftest import OFFICERS, PASSWORD, UNITS, make_settings

SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"
BROWSER_USERS = {  # beside the API tests' officers: the designer's roles and a provincial leader
    "thietke": [("CM", "designer")],
    "caicach": [("CM", "reform_officer")],
    "lanhdaotinh": [("CM", "leader")],
}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str:
    found = (os.environ.get("MOTCUA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
             or shutil.which("chromium", path="/snap/bin"))  # Ubuntu's snap, where /snap/bin is not on PATH
    if not found:  # a clear failure, never a skip: `make test` installs Debian's chromium (scripts/system-deps.sh)
        raise RuntimeError("Chromium is not installed: run `make test`, which installs it as root or prints the "
                           "command (Debian: apt-get install chromium), or set MOTCUA_CHROMIUM")
    return found


@dataclass
class LiveServer:
    app: Flask
    url: str

    def services(self) -> Any:
        return self.app.extensions["motcua"]


_databases = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The pages run on both databases, as the rest of the suite does."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'motcua.db'}"
    else:
        url = request.getfixturevalue("pg").create_database(f"motcua_web_{next(_databases)}")
    upgrade(url)
    settings = make_settings(url, scheduler=False, results_render_at_once=True)
    app = create_app(settings)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        report = load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        assert not report.failed, report.failed
        for code, name, level, parent in UNITS:
            save_unit(session, code, name, level, parent)
        for username, memberships in {**OFFICERS, **BROWSER_USERS}.items():
            create_user(session, username, PASSWORD, username.title(), memberships)
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    services.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # a script or style the Content-Security-Policy blocks is as broken as one that throws
    pg.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    pg.js_errors = errors  # tests assert that pages ran without JavaScript errors
    yield pg
    failed = any(getattr(request.node, f"rep_{when}", None) is not None
                 and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


def login(page: Any, username: str, next_path: str = "") -> None:
    """Sign in through the login page, as a person does."""
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"[data-user='{username}']")
