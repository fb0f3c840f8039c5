"""Hostile requests to the citizen's new pages (VNeID sign-in, "Hồ sơ của tôi", the population fill, online
payment): each gets a 4xx or a redirect, never a 5xx, and nothing about the server leaks into the answer."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .test_portal import portal_app as portal_app

LONG = "A" * 5000
GETS = [
    "/citizen/callback", "/citizen/callback?state=x&code=y", f"/citizen/callback?state={LONG}&code={LONG}",
    "/citizen/callback?error=access_denied&state=x", "/citizen/callback?iss=https://evil.example&state=x&code=y",
    f"/citizen/login?next=https://evil.example/{LONG}", "/citizen/login?next=//evil.example",
    "/my-dossiers", "/my-dossiers/CM-AX-000000-00001", f"/my-dossiers/{LONG}", "/my-dossiers/%00%ff",
    "/payments/start", "/payments/start?code=", f"/payments/start?code={LONG}", "/payments/start?code=%00",
    "/payments/return", f"/payments/return?MaTraCuuTT={LONG}&TrangThai=1", "/payments/return?MaTraCuuTT=%00",
    "/procedures/no-such-procedure/submit/population",
]


def test_hostile_requests_to_the_citizen_pages_get_no_5xx(portal_app: Flask) -> None:
    client = portal_app.test_client()
    client.get("/")  # a session with its CSRF token
    for path in GETS:
        answer = client.get(path)
        assert answer.status_code < 500, (path, answer.status_code)
        assert "Traceback" not in answer.get_data(as_text=True), path
    with client.session_transaction() as session:
        token = session.get("csrf")
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/citizen/logout", {}), ("/citizen/logout", {"csrf_token": token}),
        ("/procedures/gpxd-nha-o/submit/population", {"csrf_token": token}),
        ("/procedures/no-such-procedure/submit/population", {"csrf_token": token}),
        ("/payments/start", {"csrf_token": token, "code": LONG, "pin": LONG}),
        ("/payments/start", {"csrf_token": token, "code": "CM-AX-000000-00001", "pin": "x" * 9}),
    ]
    for path, form in posts:
        answer = client.post(path, data=form)
        assert answer.status_code < 500, (path, answer.status_code)
    for body in (b"", b"not json", b"[]", b'{"MaTraCuuTT": 1}', b'{"Checksum": "' + LONG.encode() + b'"}'):
        answer = client.post("/api/v1/payments/callback", data=body, content_type="application/json")
        assert 400 <= answer.status_code < 500 and answer.mimetype == "application/problem+json", body
    assert client.get("/api/v1/citizen/dossiers").status_code == 401
