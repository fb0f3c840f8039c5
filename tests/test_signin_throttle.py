"""Sign-in is throttled per account and address, per address and per account from new addresses, on the API
and the sign-in page; nobody can lock an officer out of their own desk; one audit entry per block."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.store.models import AuditEntry

from .conftest import PASSWORD, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


def token(client: FlaskClient, username: str, password: str, address: str, **headers: str) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def throttled(app: Flask) -> list[AuditEntry]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_throttled")
                                    .order_by(AuditEntry.seq)))


def test_one_address_guessing_is_stopped_but_the_officer_elsewhere_is_not(app: Flask, clock: FakeClock) -> None:
    client = app.test_client()
    for _ in range(5):
        assert token(client, "chuyenvien", "sai-mat-khau", "203.0.113.9").status_code == 401
    refused = token(client, "chuyenvien", "sai-mat-khau", "203.0.113.9")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "too-many-attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert token(client, "chuyenvien", PASSWORD, "203.0.113.9").status_code == 429  # not even the right one
    assert token(client, "chuyenvien", PASSWORD, "198.51.100.4").status_code == 200  # the officer, elsewhere
    assert token(client, "lanhdao", PASSWORD, "203.0.113.9").status_code == 200  # other accounts from there
    for _ in range(20):  # refused probes are neither counted nor audited again
        assert token(client, "chuyenvien", "sai-mat-khau", "203.0.113.9").status_code == 429
    entries = throttled(app)
    assert [(e.entity_id, e.detail["counter"], e.detail["client"]) for e in entries] == [
        ("chuyenvien", "account-address", "203.0.113.9")]
    clock.now += timedelta(minutes=15)
    assert token(client, "chuyenvien", PASSWORD, "203.0.113.9").status_code == 200  # after the window


def test_many_addresses_cannot_lock_the_officer_out_of_their_own_address(app: Flask) -> None:
    client = app.test_client()
    assert token(client, "chuyenvien", PASSWORD, "10.0.0.7").status_code == 200  # the officer's desk
    for n in range(20):
        assert token(client, "chuyenvien", "doan-mo", f"192.0.2.{n + 1}").status_code == 401
    assert token(client, "chuyenvien", "doan-mo", "192.0.2.200").status_code == 429  # the per-account limit
    assert token(client, "chuyenvien", PASSWORD, "192.0.2.201").status_code == 429  # a new address waits too
    for _ in range(3):  # ...but the officer's own address is never locked by strangers
        assert token(client, "chuyenvien", PASSWORD, "10.0.0.7").status_code == 200
    assert [e.detail["counter"] for e in throttled(app)] == ["account"]


def test_unknown_accounts_look_like_known_ones(app: Flask) -> None:
    client = app.test_client()
    answers = []
    for username in ("chuyenvien", "khong-ton-tai"):
        statuses = [token(client, username, "sai-mat-khau", "198.51.100.77").status_code for _ in range(6)]
        body = token(client, username, "sai-mat-khau", "198.51.100.77").get_json()
        answers.append((statuses, {k: v for k, v in body.items() if k not in ("detail", "retry_after")}))
    assert answers[0] == answers[1]
    assert answers[0][0] == [401] * 5 + [429]


def test_one_address_trying_many_accounts(app: Flask) -> None:
    client = app.test_client()
    for n in range(30):
        assert token(client, f"thu-{n}", "sai-mat-khau", "203.0.113.50").status_code == 401
    assert token(client, "tiepnhan", PASSWORD, "203.0.113.50").status_code == 429
    assert token(client, "tiepnhan", PASSWORD, "203.0.113.51").status_code == 200


def test_ipv6_addresses_of_one_network_count_together(app: Flask) -> None:
    client = app.test_client()
    for n in range(5):
        assert token(client, "lanhdao", "sai", f"2001:db8:1:2::{n + 1:x}").status_code == 401
    assert token(client, "lanhdao", PASSWORD, "2001:db8:1:2:ffff::9").status_code == 429  # same /64
    assert token(client, "lanhdao", PASSWORD, "2001:db8:1:3::1").status_code == 200  # another /64


def test_forwarded_for_counts_only_from_a_trusted_proxy(app_factory: Any, clock: FakeClock) -> None:
    direct = app_factory(clock=clock).test_client()
    for n in range(5):  # a client cannot pick a fresh address per guess by writing the header itself
        assert token(direct, "tiepnhan", "sai", "203.0.113.20", **{"X-Forwarded-For": f"10.9.0.{n}"}
                     ).status_code == 401
    assert token(direct, "tiepnhan", "sai", "203.0.113.20", **{"X-Forwarded-For": "10.9.0.99"}).status_code == 429
    proxied = app_factory(clock=clock, trusted_proxies=("127.0.0.0/8",)).test_client()
    for n in range(5):  # behind the proxy, each client is counted by the address the proxy saw
        assert token(proxied, "lanhdao", "sai", "127.0.0.1", **{"X-Forwarded-For": f"1.2.3.4, 198.51.100.{n}"}
                     ).status_code == 401
    assert token(proxied, "lanhdao", PASSWORD, "127.0.0.1", **{"X-Forwarded-For": "9.9.9.9, 198.51.100.1"}
                 ).status_code == 200
    entry = throttled(app_factory(clock=clock))  # no block yet from behind the proxy
    assert [e.detail["client"] for e in entry] == ["203.0.113.20"]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_sign_in_page_says_when_to_try_again(app: Flask, clock: FakeClock) -> None:
    client = app.test_client()
    token_ = _csrf(client.get("/login").get_data(as_text=True))
    form = {"csrf_token": token_, "username": "tiepnhan", "password": "sai-mat-khau"}
    for _ in range(5):
        assert client.post("/login", data=form).status_code == 401
    page = client.post("/login", data={**form, "password": PASSWORD})
    assert page.status_code == 429 and page.headers["Retry-After"] == "900"
    html = page.get_data(as_text=True)
    assert 'data-error="too-many"' in html and "Đăng nhập sai quá nhiều lần." in html and "15 phút" in html
    english = client.post("/login?lang=en", data=form).get_data(as_text=True)
    assert "Too many failed sign-ins." in english and "15 minutes" in english
    api = token(app.test_client(), "tiepnhan", PASSWORD, "127.0.0.1")  # one counter for the page and the API
    assert api.status_code == 429
    clock.now += timedelta(minutes=15, seconds=1)
    assert client.post("/login", data={**form, "password": PASSWORD}).status_code == 302


def test_ended_counters_are_purged_but_known_addresses_kept(app: Flask, clock: FakeClock) -> None:
    from engine.runtime import Runtime
    from engine.scheduling import scheduler
    from engine.store.models import LookupFailure

    client = app.test_client()
    assert token(client, "tiepnhan", PASSWORD, "198.51.100.3").status_code == 200  # a known address
    for n in range(10):  # a sprayer leaves rows for made-up names
        assert token(client, f"bia-{n}", "sai", "203.0.113.99").status_code == 401
    runtime: Runtime = app.extensions["motcua"]

    def keys() -> set[str]:
        with runtime.session_factory() as session:
            return set(session.scalars(select(LookupFailure.key)))

    assert len(keys()) == 1 + 10 * 2 + 1  # known; per name: pair, account; the address
    scheduler.build_scheduler(runtime.settings, scheduler.job_context(runtime.settings, runtime.uow, runtime.clock))
    assert scheduler.job_purge() == 0  # nothing has ended a day ago yet
    clock.now += timedelta(days=2)
    assert scheduler.job_purge() == 21
    assert keys() == {"signin:known:tiepnhan|198.51.100.3"}
    clock.now += timedelta(days=30)
    assert scheduler.job_purge() == 1 and keys() == set()
