"""Public tracking: strangers' wrong PINs never lock the citizen out; guessing from many addresses hits the
per-code guard (one failure per address a day); one address sweeping codes is stopped; old 6-digit PINs work."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.dossiers.service import pin_digest
from engine.dossiers.tracking import GUARD_AFTER
from engine.store.models import AuditEntry

from .conftest import Api, FakeClock
from .test_lifecycle import submit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def look(api: Api, code: str, pin: str, address: str) -> Any:
    return api.client.get(f"/api/v1/public/dossiers/{code}", headers={"X-Dossier-Pin": pin},
                          environ_base={"REMOTE_ADDR": address})


def wrong(pin: str) -> str:
    return "12345678" if pin != "12345678" else "87654321"


def test_strangers_elsewhere_never_lock_the_citizen_out(api: Api) -> None:
    created = submit(api)
    code, pin = created["code"], created["pin"]
    assert len(pin) == 8
    for n in range(1, 4):
        for _ in range(5):
            assert look(api, code, wrong(pin), f"203.0.113.{n}").status_code == 404
        assert look(api, code, pin, f"203.0.113.{n}").status_code == 429  # the guesser's address waits
    for _ in range(3):
        assert look(api, code, pin, "198.51.100.7").status_code == 200  # the citizen does not


def test_guessing_from_many_addresses_hits_the_per_code_guard(app: Flask, api: Api, clock: FakeClock) -> None:
    created = submit(api)
    code, pin = created["code"], created["pin"]
    for n in range(GUARD_AFTER):  # one wrong PIN from each of 30 addresses: no address reaches its own limit
        assert look(api, code, wrong(pin), f"10.1.{n // 200}.{n % 200 + 1}").status_code == 404
    guesser = "192.0.2.99"  # a fresh address now gets a single guess a day on this code
    assert look(api, code, wrong(pin), guesser).status_code == 404
    refused = look(api, code, wrong(pin), guesser)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 900 < int(refused.headers["Retry-After"]) <= 86400
    assert look(api, code, pin, guesser).status_code == 429
    for n in range(5):  # the citizen's right PIN, from any address that has not failed here, still works
        assert look(api, code, pin, f"198.51.100.{n + 10}").status_code == 200
    other = submit(api)  # other codes are not guarded
    assert look(api, other["code"], wrong(other["pin"]), "192.0.2.98").status_code == 404
    assert look(api, other["code"], wrong(other["pin"]), "192.0.2.98").status_code == 404
    with app.extensions["motcua"].session_factory() as session:
        guarded = session.scalars(select(AuditEntry).where(AuditEntry.action == "tracking_guarded")).all()
    assert [(e.entity_id, e.detail["failures"]) for e in guarded] == [(code, GUARD_AFTER)]  # once, not per probe
    clock.now += timedelta(hours=24)
    assert look(api, code, pin, guesser).status_code == 200  # the guard and the address's count have ended


def test_one_address_sweeping_codes_is_stopped(api: Api) -> None:
    created = submit(api)
    for n in range(20):
        assert look(api, f"CM-AX-260302-{n + 100:05d}", "12345678", "203.0.113.66").status_code == 404
    assert look(api, created["code"], created["pin"], "203.0.113.66").status_code == 429
    assert look(api, created["code"], created["pin"], "203.0.113.67").status_code == 200


def test_a_six_digit_pin_of_an_older_dossier_still_works(app: Flask, api: Api) -> None:
    code = submit(api)["code"]
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        dossier.pin_hash = pin_digest("test-secret", code, "123456")
        session.commit()
    assert look(api, code, "123456", "198.51.100.1").status_code == 200


def test_the_tracking_page_says_how_long_to_wait(app: Flask, api: Api) -> None:
    created = submit(api)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/track").get_data(as_text=True))
    assert token
    form = {"csrf_token": token[1], "code": created["code"], "pin": wrong(created["pin"])}
    for _ in range(5):
        assert client.post("/track", data=form).status_code == 404
    page = client.post("/track", data={**form, "pin": created["pin"]})
    assert page.status_code == 429 and page.headers["Retry-After"] == "900"
    html = page.get_data(as_text=True)
    assert "data-too-many" in html and "Vui lòng thử lại sau 15 phút." in html
    english = client.post("/track?lang=en", data=form).get_data(as_text=True)
    assert "Too many failed look-ups." in english and "15 minutes" in english
