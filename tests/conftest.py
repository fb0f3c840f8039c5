"""Test fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from api import create_app
from engine.config import PROJECT_ROOT, Settings
from engine.people.organisation import create_user, save_unit
from engine.procedures.catalog import load_folder
from engine.store.db import Base
from engine.store.migrate import upgrade
from engine.store.models import GENESIS
from engine.time.clock import LOCAL_TZ

from . import pgserver
from .identity_provider import oidc_provider as oidc_provider  # the stand-in VNeID, once per session
from .identity_provider import vneid as vneid
from .pki_support import demo_pki as demo_pki  # the demo PKI and its stand-in trust services, once per session

# Every process a test starts (the `motcua` command in-process, schedulers) keys the audit chain alike.
os.environ["MOTCUA_AUDIT_KEY"] = AUDIT_KEY = "khoa-kiem-toan-thu-nghiem"
# ...and nothing a test runs writes into the project's var/ (the dev secret, uploads, audit checkpoints)
_SCRATCH = Path(tempfile.mkdtemp(prefix="motcua-tests-"))
os.environ.setdefault("MOTCUA_SECRET_KEY", "test-secret")
os.environ.setdefault("MOTCUA_UPLOAD_DIR", str(_SCRATCH / "uploads"))
os.environ.setdefault("MOTCUA_ARCHIVE_DIR", str(_SCRATCH / "archive"))
os.environ.setdefault("MOTCUA_DOCUMENT_STORE_DIR", str(_SCRATCH / "documents"))
os.environ.setdefault("MOTCUA_AUDIT_CHECKPOINT_FILE", str(_SCRATCH / "audit-checkpoints.jsonl"))
PASSWORD = "mat-khau-thu-nghiem"
UNITS = [  # (code, name, level, parent)
    ("CM", "Trung tâm Phục vụ hành chính công tỉnh Cà Mau", "province", None),
    ("CM-AX", "Trung tâm Phục vụ hành chính công phường An Xuyên", "commune", "CM"),
    ("CM-TT", "Trung tâm Phục vụ hành chính công phường Tân Thành", "commune", "CM"),
]
OFFICERS = {  # username -> memberships (unit, role)
    "tiepnhan": [("CM-AX", "reception")],
    "chuyenvien": [("CM-AX", "specialist")],
    "lanhdao": [("CM-AX", "leader")],
    "quantri": [("CM", "admin")],
    "tatca": [("CM-AX", "reception"), ("CM-AX", "specialist"), ("CM-AX", "leader")],
}
_db_counter = itertools.count()


@pytest.fixture(autouse=True)
def _motcua_environment_kept() -> Iterator[None]:
    """A test leaves MOTCUA_* as it found them: a setting left behind (a stand-in's URL, the demo PKI's keys)
    silently changes every later test. Set them with monkeypatch, which puts them back."""
    before = {k: v for k, v in os.environ.items() if k.startswith("MOTCUA_")}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith("MOTCUA_")}
    if after != before:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        for key in changed:  # put back, so that one leak fails one test, not the rest of the session
            if key in before:
                os.environ[key] = before[key]
            else:
                os.environ.pop(key, None)
        pytest.fail(f"the test changed the environment and left it so: {', '.join(changed)}")


@pytest.fixture(scope="session")
def pg() -> Iterator[pgserver.PostgresServer]:
    server = pgserver.start()  # missing binaries raise: a clear failure, never a skip
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'motcua.db'}"
    else:
        server = request.getfixturevalue("pg")
        url = server.create_database(f"motcua_test_{next(_db_counter)}")
    upgrade(url)
    return url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    # never the project's var/: audit checkpoints of a test's chain go to a file of its own
    overrides.setdefault("audit_checkpoint_file",
                         Path(tempfile.mkdtemp(prefix="motcua-audit-")) / "audit-checkpoints.jsonl")
    # an approval's result is rendered by the results job, not in the request, unless a test is about the result
    # itself (a render is a second or two; hundreds of approvals in the suite would pay it for nothing)
    overrides.setdefault("results_render_at_once", False)
    return Settings().with_overrides(database_url=database_url, secret_key="test-secret",
                                     processes_dir=PROJECT_ROOT / "processes",
                                     forms_dir=PROJECT_ROOT / "forms", **overrides)


def _truncate(app: Flask) -> None:
    engine = app.extensions["motcua"].engine
    kept = {"roles"}  # reference data seeded by the migrations
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in kept]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("UPDATE procedures SET current_version_id = NULL"))
            for table in reversed(tables):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM open_task_counts"))  # deleting tasks appended their -1s
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :g)"), {"g": GENESIS})


def _app_factory(database_url: str, tmp: Path) -> Iterator[Any]:
    """Build apps on a test database, emptied first; processes and forms folders can be swapped. The audit
    checkpoints go to a file of this test's own, as the chain starts afresh."""
    apps: list[Flask] = []

    def build(processes_dir: Path | None = None, forms_dir: Path | None = None, clock: Any = None,
              **overrides: Any) -> Flask:
        overrides.setdefault("audit_checkpoint_file", tmp / "audit-checkpoints.jsonl")
        settings = make_settings(database_url, **overrides)
        if processes_dir is not None:
            settings = settings.with_overrides(processes_dir=processes_dir)
        if forms_dir is not None:
            settings = settings.with_overrides(forms_dir=forms_dir)
        app = create_app(settings, clock=clock)
        app.config["TESTING"] = True
        if not apps:
            _truncate(app)
        services = app.extensions["motcua"]
        with services.session_factory() as session:
            report = load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
            assert not report.failed, report.failed
            if not apps:
                for code, name, level, parent in UNITS:
                    save_unit(session, code, name, level, parent)
                for username, memberships in OFFICERS.items():
                    create_user(session, username, PASSWORD, username.title(), memberships)
            session.commit()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["motcua"].engine.dispose()


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Apps on the test database of this run (SQLite, then PostgreSQL)."""
    yield from _app_factory(database_url, tmp_path)


@pytest.fixture(scope="session")
def pg_database_url(pg: pgserver.PostgresServer) -> str:
    url = pg.create_database("motcua_test_pg_only")
    upgrade(url)
    return url


@pytest.fixture
def pg_app_factory(pg_database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Apps on PostgreSQL only, for what only a server with concurrent writers can show."""
    yield from _app_factory(pg_database_url, tmp_path)


@pytest.fixture
def app(app_factory: Any) -> Flask:
    return app_factory()


class FakeClock:
    """A settable clock: tests put the engine at a known instant (UTC-aware)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, text: str) -> datetime:
        """Move to a local Asia/Ho_Chi_Minh time given as 'YYYY-MM-DD HH:MM'."""
        self.now = datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).astimezone(UTC)
        return self.now


class Api:
    """A test client that signs in as an officer and speaks JSON."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            resp = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert resp.status_code == 200, resp.get_json()
            self.tokens[username] = resp.get_json()["access_token"]
        return self.tokens[username]

    def call(self, method: str, path: str, as_user: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, as_user: str | None = None, **kw: Any) -> Any:
        return self.call("GET", path, as_user, **kw)

    def post(self, path: str, as_user: str | None = None, **kw: Any) -> Any:
        return self.call("POST", path, as_user, **kw)

    def complete(self, task_id: str, as_user: str, data: dict[str, Any]) -> Any:
        """Claim (a no-op when already held) and complete, as an officer does."""
        claimed = self.post(f"/tasks/{task_id}/claim", as_user)
        if claimed.status_code != 200:
            return claimed
        return self.post(f"/tasks/{task_id}/complete", as_user, json={"data": data})


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())
