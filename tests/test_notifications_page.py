"""The notifications page: the signed-in user's own notifications, in local time, marked read one by one or all
at once; the header counts the unread ones."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.people.models import User
from engine.scheduling.models import OutboxMessage
from engine.scheduling.notifications import notify

from .conftest import PASSWORD


def _sign_in(client: FlaskClient, username: str) -> None:
    token = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/login").data).group(1).decode()  # type: ignore[union-attr]
    resp = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert resp.status_code == 302


def _csrf(client: FlaskClient) -> str:
    return re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/login").data).group(1).decode()  # type: ignore[union-attr]


def _notify(app: Flask, username: str, code: str) -> int:
    with app.extensions["motcua"].session_factory() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        notify(session, [user], f"Quá hạn: Thẩm định hồ sơ — hồ sơ {code}", "Bước “Thẩm định hồ sơ” đã quá hạn.",
               {"kind": "escalation", "dossier": code}, datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
        session.commit()
        return session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient_id == user.id)
                               .order_by(OutboxMessage.id.desc())).first()  # type: ignore[return-value]


def test_the_page_lists_ones_own_notifications_in_local_time_and_marks_them_read(app: Flask) -> None:
    first = _notify(app, "lanhdao", "CM-AX-260309-00001")
    _notify(app, "lanhdao", "CM-AX-260309-00002")
    _notify(app, "chuyenvien", "CM-AX-260309-00003")  # someone else's
    client = app.test_client()
    _sign_in(client, "lanhdao")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "CM-AX-260309-00001" in page and "CM-AX-260309-00002" in page
    assert "CM-AX-260309-00003" not in page
    assert "09/03/2026 09:00" in page  # 02:00 UTC shown in Asia/Ho_Chi_Minh
    assert 'data-unread="2"' in page  # the header's count

    assert client.post(f"/notifications/{first}/read", data={"csrf_token": _csrf(client)}).status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'data-notification="{first}" data-read="true"' in page and 'data-unread="1"' in page

    assert client.post("/notifications/read-all", data={"csrf_token": _csrf(client)}).status_code == 302
    assert "data-unread=" not in client.get("/notifications/").get_data(as_text=True)


def test_another_users_notification_cannot_be_marked_and_forms_need_csrf(app: Flask) -> None:
    theirs = _notify(app, "chuyenvien", "CM-AX-260309-00004")
    client = app.test_client()
    _sign_in(client, "lanhdao")
    assert client.post(f"/notifications/{theirs}/read", data={"csrf_token": _csrf(client)}).status_code == 404
    assert client.post("/notifications/read-all", data={}).status_code == 403
    with app.extensions["motcua"].session_factory() as session:
        assert session.get(OutboxMessage, theirs).read_at is None  # type: ignore[union-attr]


def test_visitors_are_sent_to_sign_in(app: Flask) -> None:
    resp = app.test_client().get("/notifications/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
