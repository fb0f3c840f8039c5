"""The portal sync as officers see it: the API (state, list, re-send), the dossier page's card and re-send button,
the leaders' list with checkboxes, the dashboard's sync rate, and `motcua portal resync`. A leader of the
dossier's unit re-sends; a specialist may not; another unit's leader does not see the dossier (404). On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.cli import main as motcua
from engine.dossiers.models import Dossier
from engine.people.organisation import create_user
from engine.store.models import AuditEntry
from engine.sync.delivery import deliver
from engine.sync.models import PortalMessage

from .conftest import PASSWORD, Api, FakeClock
from .test_officer_pages import csrf_of, signed_in
from .test_portal_sync import Portal, messages, submit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    app = app_factory(clock=clock)
    with app.extensions["motcua"].session_factory() as session:
        create_user(session, "lanhdao.tt", PASSWORD, "Lãnh đạo Tân Thành", [("CM-TT", "leader")])
        session.commit()
    return app


def refuse_all(app: Flask, reason: str = "Thiếu trường MaTTHC") -> Portal:
    portal = Portal()
    portal.refuse = {s: reason for s in ("registered", "received", "processing", "payment_required")}
    with app.extensions["motcua"].uow() as uow:
        deliver(uow, portal)
    return portal


def test_officers_see_the_sync_state_and_only_the_units_leaders_resend(api: Api, app: Flask) -> None:
    code = submit(api)
    state = api.get(f"/dossiers/{code}/portal-sync", "chuyenvien")
    assert state.status_code == 200
    body = state.get_json()
    assert body["state"] == "pending" and body["pending"] == 1 and body["may_resend"] is False
    assert api.get(f"/dossiers/{code}/portal-sync", "lanhdao.tt").status_code == 404  # another unit's leader
    assert api.get(f"/dossiers/{code}/portal-sync", "quantri").status_code == 404  # no officer role

    refuse_all(app)
    failed = api.get(f"/dossiers/{code}/portal-sync", "lanhdao").get_json()
    assert failed["state"] == "failed" and failed["reason"] == "Thiếu trường MaTTHC" and failed["may_resend"]

    refused = api.post(f"/dossiers/{code}/portal-sync", "chuyenvien")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert api.post(f"/dossiers/{code}/portal-sync", "lanhdao.tt").status_code == 404
    assert len(messages(app, code)) == 1
    resent = api.post(f"/dossiers/{code}/portal-sync", "lanhdao")
    assert resent.status_code == 200 and resent.get_json()["state"] == "pending"
    assert [m.state for m in messages(app, code)] == ["failed", "pending"]
    with app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "portal_resent")).one()
        assert entry.actor_id is not None and entry.actor_unit == "CM-AX"


def test_leaders_list_their_units_dossiers_by_sync_state_and_resend_many(api: Api, app: Flask) -> None:
    first, second = submit(api), submit(api)
    refuse_all(app)
    listed = api.get("/portal-sync?state=failed", "lanhdao")
    assert listed.status_code == 200
    body = listed.get_json()
    assert [i["code"] for i in body["items"]] == [first, second]
    assert body["items"][0]["reason"] == "Thiếu trường MaTTHC" and body["items"][0]["status"] == "received"
    assert body["rate"]["changed"] == 2 and body["rate"]["on_time"] == 0 and body["rate"]["rate"] == 0
    assert api.get("/portal-sync?state=failed", "lanhdao.tt").get_json()["items"] == []
    assert api.get("/portal-sync", "chuyenvien").status_code == 403
    assert api.get("/portal-sync?state=broken", "lanhdao").status_code == 422

    assert api.post("/portal-sync/resend", "lanhdao", json={"codes": []}).status_code == 422
    assert api.post("/portal-sync/resend", "lanhdao.tt", json={"codes": [first]}).status_code == 404
    done = api.post("/portal-sync/resend", "lanhdao", json={"codes": [first, second]})
    assert done.status_code == 200 and done.get_json()["codes"] == [first, second]
    assert api.get("/portal-sync?state=failed", "lanhdao").get_json()["items"] == []
    assert [i["code"] for i in api.get("/portal-sync?state=pending", "lanhdao").get_json()["items"]] == \
        [first, second]
    with app.extensions["motcua"].uow() as uow:  # the portal accepts them now
        assert deliver(uow, Portal()).sent == 2
    synced = api.get("/portal-sync?state=synced", "lanhdao").get_json()
    assert [i["state"] for i in synced["items"]] == ["synced", "synced"]


def test_the_dossier_page_shows_the_state_and_the_leader_resends_from_it(api: Api, app: Flask) -> None:
    code = submit(api)
    client, token = signed_in(app, "chuyenvien")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'data-portal-sync="pending"' in page and "Đang chờ đồng bộ" in page
    assert "data-portal-resend" not in page  # a specialist has no re-send button
    refuse_all(app, "Sai mã thủ tục")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Đồng bộ lỗi: Sai mã thủ tục" in page
    assert client.post(f"/dossiers/{code}/portal-sync", data={"csrf_token": token}).status_code == 403
    assert client.get("/portal-sync").status_code == 403

    leader, token = signed_in(app, "lanhdao")
    page = leader.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "data-portal-resend" in page and 'data-nav="portal-sync"' in page
    assert leader.post(f"/dossiers/{code}/portal-sync", data={}).status_code == 403  # no CSRF token
    assert len(messages(app, code)) == 1
    resp = leader.post(f"/dossiers/{code}/portal-sync", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/dossiers/{code}")
    assert [m.state for m in messages(app, code)] == ["failed", "pending"]
    with app.extensions["motcua"].uow() as uow:
        deliver(uow, Portal())
    page = leader.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'data-portal-sync="synced"' in page and "Đã đồng bộ" in page


def test_the_leaders_list_page_resends_the_ticked_dossiers(api: Api, app: Flask) -> None:
    first, second = submit(api), submit(api)
    refuse_all(app)
    leader, token = signed_in(app, "lanhdao")
    page = leader.get("/portal-sync").get_data(as_text=True)
    assert f'data-sync-row="{first}"' in page and f'data-sync-row="{second}"' in page
    assert "Đồng bộ lỗi: Thiếu trường MaTTHC" in page and "0,0 %" in page
    empty = leader.post("/portal-sync/resend", data={"csrf_token": token})
    assert empty.status_code == 302
    assert "Hãy chọn ít nhất một hồ sơ" in leader.get("/portal-sync").get_data(as_text=True)
    token = csrf_of(leader, "/portal-sync")
    resp = leader.post("/portal-sync/resend", data={"csrf_token": token, "codes": [second]})
    assert resp.status_code == 302
    assert [m.state for m in messages(app, second)] == ["failed", "pending"]
    assert [m.state for m in messages(app, first)] == ["failed"]
    assert f'data-sync-row="{second}"' not in leader.get("/portal-sync").get_data(as_text=True)
    english = leader.get("/portal-sync?state=pending&lang=en").get_data(as_text=True)
    assert "National portal sync" in english and f'data-sync-row="{second}"' in english


def test_the_dashboard_shows_the_sync_rate(api: Api, app: Flask, clock: FakeClock) -> None:
    submit(api), submit(api)
    with app.extensions["motcua"].session_factory() as session:  # the first goes, the second waits
        second = session.scalars(select(PortalMessage).order_by(PortalMessage.id.desc())).first()
        assert second is not None
        second.next_attempt_at = datetime(2027, 1, 1, tzinfo=UTC)
        session.commit()
    with app.extensions["motcua"].uow() as uow:
        assert deliver(uow, Portal()).sent == 1
    leader, _ = signed_in(app, "lanhdao")
    page = leader.get("/dashboard/?period=month").get_data(as_text=True)
    assert 'data-kpi="portal_sync"' in page and "50,0 %" in page and "1 / 2 hồ sơ lên Cổng trong 15 phút" in page


def test_motcua_portal_resync_queues_the_failed_ones(api: Api, app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    first, second = submit(api), submit(api)
    refuse_all(app)
    settings = app.extensions["motcua"].settings
    monkeypatch.setenv("MOTCUA_DATABASE_URL", settings.database_url)
    assert motcua(["portal", "resync"]) == 2  # nothing named
    assert motcua(["portal", "resync", "--code", "CM-AX-000000-99999"]) == 2  # unknown dossier
    assert motcua(["portal", "resync", "--failed"]) == 0
    assert "2 dossiers queued" in capsys.readouterr().out
    assert [m.state for m in messages(app, first)] == ["failed", "pending"]
    assert motcua(["portal", "resync", "--failed"]) == 0  # their latest is pending now: nothing more
    assert "nothing to re-send" in capsys.readouterr().out
    assert motcua(["portal", "resync", "--code", second, "--as", "lanhdao"]) == 0
    assert len(messages(app, second)) == 3
    with app.extensions["motcua"].session_factory() as session:
        who = list(session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "portal_resent")
                                   .order_by(AuditEntry.seq)))
        assert who[:2] == [None, None] and who[2] is not None
        assert session.scalar(select(Dossier.code).where(Dossier.code == second)) == second
