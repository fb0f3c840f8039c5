"""The web pages' session: sign-in through the form, CSRF on pages and on /api/v1 calls made with the cookie,
expiry, redirects that stay on the site, and an account disabled while signed in."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.people.models import User
from engine.store.models import AuditEntry

from .conftest import PASSWORD


def _token(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1).decode()


def _sign_in(client: FlaskClient, username: str = "chuyenvien", next_path: str = "") -> str:
    token = _token(client.get("/login").data)
    resp = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD,
                                       "next": next_path})
    assert resp.status_code == 302, resp.data
    return resp.headers["Location"]


def _csrf(client: FlaskClient) -> str:
    return _token(client.get("/login").data)  # the page carries the session's current token


def test_sign_in_through_the_form_lets_the_pages_scripts_call_the_api(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/me").status_code == 401
    assert _sign_in(client) == "/inbox"
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["username"] == "chuyenvien"
    with app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "signed_in")).all()[-1]
        assert entry.detail["via"] == "web"


def test_api_calls_with_the_cookie_need_the_csrf_header(app: Flask) -> None:
    client = app.test_client()
    _sign_in(client)
    refused = client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim")
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json" and refused.get_json()["reason"] == "csrf"
    allowed = client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim",
                          headers={"X-CSRF-Token": _csrf(client)})
    assert allowed.status_code == 404  # past the CSRF check: the task simply does not exist


def test_bearer_token_calls_do_not_need_csrf(api: Any) -> None:
    resp = api.post("/tasks/00000000-0000-0000-0000-000000000000/claim", "chuyenvien")
    assert resp.status_code == 404


def test_page_forms_without_the_token_are_refused_and_change_nothing(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    resp = client.post("/login", data={"username": "chuyenvien", "password": PASSWORD})
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert client.get("/api/v1/me").status_code == 401  # not signed in


def test_redirects_after_sign_in_stay_on_the_site(app: Flask) -> None:
    assert _sign_in(app.test_client(), next_path="//evil.example/steal") == "/inbox"
    assert _sign_in(app.test_client(), next_path="https://evil.example/") == "/inbox"
    assert _sign_in(app.test_client(), next_path="/tasks?view=team") == "/tasks?view=team"


def test_an_expired_session_signs_out(app: Flask, monkeypatch: Any) -> None:
    client = app.test_client()
    _sign_in(client)
    later = time.time() + app.config["TOKEN_TTL"] + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/api/v1/me").status_code == 401  # the signed cookie and the session both expire
    page = client.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_disabled_account_is_signed_out_at_its_next_page(app: Flask) -> None:
    client = app.test_client()
    _sign_in(client)
    with app.extensions["motcua"].session_factory() as session:
        session.scalars(select(User).where(User.username == "chuyenvien")).one().active = False
        session.commit()
    page = client.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401


def test_pages_answer_errors_as_pages_and_the_api_as_problems(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Không tìm thấy" in page.get_data(as_text=True)
    # the engine's English detail is not what a Vietnamese page says; the English page may show it
    said = re.search(r"<p data-message>(.*?)</p>", page.get_data(as_text=True), re.S).group(1)
    assert said == "Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Not Found" in english or "not found" in english
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_english_on_request(app: Flask) -> None:
    client = app.test_client()
    assert "Đăng nhập cán bộ" in client.get("/login").get_data(as_text=True)
    assert "Officer sign-in" in client.get("/login?lang=en").get_data(as_text=True)
    client.get("/lang/en?next=/login")
    assert "Officer sign-in" in client.get("/login").get_data(as_text=True)


def test_signed_in_pages_are_not_cached_and_carry_safe_headers(app: Flask) -> None:
    client = app.test_client()
    _sign_in(client)
    page = client.get("/login")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Server-Timing"].startswith("app;dur=")
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]  # no inline scripts anywhere
