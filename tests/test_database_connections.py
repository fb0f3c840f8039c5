"""Pooled connections cut by the server (a restart, an idle timeout): one idle for a while is pinged and
replaced before use; one cut moments after its last use fails its request with a 503 problem that says to try
again, and the next request works. On a real PostgreSQL server, whose backends the test terminates."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event

import engine.store.db as db

from .conftest import Api


def _terminate_app_connections(app: Flask, pg: Any) -> int:
    """Cut every connection of the app's pool on the server side, as a restart would."""
    url = app.extensions["motcua"].engine.url
    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user={pg.user} dbname=postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (url.database,)).fetchall()
    return len(rows)


def _pings(app: Flask) -> list[int]:
    pings: list[int] = []
    engine = app.extensions["motcua"].engine
    real = engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        pings.append(1)
        return real(dbapi_conn)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return pings


def test_busy_connections_are_not_pinged_and_idle_ones_are(pg_app_factory: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app = pg_app_factory()
    api = Api(app.test_client())
    pings = _pings(app)
    for _ in range(5):
        assert api.get("/tasks", "chuyenvien").status_code == 200
    assert pings == []  # reused at once: no round trip spent on a ping
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection now counts as idle
    assert api.get("/tasks", "chuyenvien").status_code == 200
    assert pings


def test_an_idle_connection_cut_by_the_server_is_replaced_unseen(pg_app_factory: Any, pg: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = pg_app_factory()
    api = Api(app.test_client())
    assert api.get("/tasks", "chuyenvien").status_code == 200
    assert _terminate_app_connections(app, pg) >= 1
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    resp = api.get("/tasks", "chuyenvien")
    assert resp.status_code == 200, resp.get_json()


def test_a_connection_cut_right_after_use_gives_503_then_recovers(pg_app_factory: Any, pg: Any) -> None:
    app = pg_app_factory()
    api = Api(app.test_client())
    assert api.get("/tasks", "chuyenvien").status_code == 200
    invalidated: list[bool] = []
    event.listen(app.extensions["motcua"].engine, "handle_error",
                 lambda ctx: invalidated.append(ctx.is_disconnect))
    assert _terminate_app_connections(app, pg) >= 1
    resp = api.get("/tasks", "chuyenvien")  # the pool handed out the cut connection: not idle, not pinged
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "database-unavailable" and resp.headers["Retry-After"] == "5"
    assert invalidated and invalidated[-1]
    assert api.get("/tasks", "chuyenvien").status_code == 200  # the pool was refreshed
