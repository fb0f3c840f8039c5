"""A request that runs too long is stopped by the app itself with a 503 problem (Retry-After), in the main
thread or in a worker thread, before the server's own worker timeout; what it had written is rolled back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import text

from api.services import request_uow

from .conftest import Api


def busy(seconds: float) -> int:
    """Pure Python work, as a slow procedure or a huge input makes: nothing blocks in C."""
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


@pytest.fixture
def slow_app(app_factory: Any) -> Flask:
    app = app_factory(request_timeout=0.5)

    @app.get("/api/v1/test-slow")
    def slow() -> dict[str, int]:
        return {"n": busy(float(request.args.get("s", "5")))}

    @app.post("/api/v1/test-slow-write")
    def slow_write() -> dict[str, int]:
        uow = request_uow()
        uow.session.execute(text("INSERT INTO lookup_failures (key, window_start, count) "
                                 "VALUES ('deadline', CURRENT_TIMESTAMP, 1)"))
        uow.session.flush()
        return {"n": busy(5)}

    return app


def assert_timed_out(resp: Any, started: float) -> None:
    elapsed = time.monotonic() - started
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    assert resp.get_json()["code"] == "request-timeout" and resp.headers["Retry-After"] == "5"
    assert 0.5 <= elapsed < 2, elapsed


def test_a_request_past_its_deadline_gets_503_problem(slow_app: Flask) -> None:
    client = slow_app.test_client()
    started = time.monotonic()
    assert_timed_out(client.get("/api/v1/test-slow"), started)
    assert client.get("/api/v1/test-slow?s=0.1").status_code == 200  # within the deadline: answered as usual
    assert client.get("/api/v1/procedures").status_code == 200
    time.sleep(0.7)  # a disarmed deadline passing later touches nothing
    assert client.get("/api/v1/procedures").status_code == 200


def test_requests_in_worker_threads_are_stopped_too(slow_app: Flask) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: slow_app.test_client().get("/api/v1/test-slow"), range(4)))
    for resp in answers:
        assert_timed_out(resp, started)


def test_what_a_stopped_request_wrote_is_rolled_back(slow_app: Flask) -> None:
    started = time.monotonic()
    assert_timed_out(slow_app.test_client().post("/api/v1/test-slow-write"), started)
    with slow_app.extensions["motcua"].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lookup_failures WHERE key = 'deadline'")).scalar() == 0


def test_pages_get_a_503_page(slow_app: Flask) -> None:
    @slow_app.get("/test-slow-page")
    def slow_page() -> str:
        busy(5)
        return "done"

    resp = slow_app.test_client().get("/test-slow-page")
    assert resp.status_code == 503 and resp.mimetype == "text/html" and resp.headers["Retry-After"] == "5"


def test_the_normal_api_is_untouched_by_the_deadline(app_factory: Any) -> None:
    api = Api(app_factory(request_timeout=0.5).test_client())
    for _ in range(20):
        assert api.get("/tasks", "tiepnhan").status_code == 200
