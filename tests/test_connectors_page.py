"""The administrators' page of connectors (both databases): each connector's title, configured or not, its health
now with the time it took, a clear mark when it talks to a stand-in, and the names of its settings with whether
each is set, never a value; for administrators only, in Vietnamese and in English."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from connectors.portal.standin import StandinPortal, start

from .test_officer_pages import signed_in

SECRET = "mat-khau-rat-bi-mat"


@pytest.fixture
def portal() -> Iterator[StandinPortal]:
    standin = start(username="motcua", password=SECRET)
    yield standin
    standin.stop()


def row(html: str, name: str) -> str:
    found = re.search(rf'<tr data-connector="{name}".*?</tr>', html, re.S)
    assert found, name
    return found.group(0)


def test_the_connectors_page(app: Flask, portal: StandinPortal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_SMS_URL", "")
    monkeypatch.setenv("MOTCUA_PORTAL_URL", portal.url)
    monkeypatch.setenv("MOTCUA_PORTAL_USERNAME", "motcua")
    monkeypatch.setenv("MOTCUA_PORTAL_PASSWORD", SECRET)
    client, _csrf = signed_in(app, "quantri")
    html = client.get("/admin/connectors").get_data(as_text=True)
    assert 'data-tab="admin.connectors"' in html
    portal_row = row(html, "portal")
    assert 'data-status="ok" data-configured="1"' in portal_row
    assert "Cổng Dịch vụ công quốc gia" in portal_row and "Máy chủ giả lập (stand-in)" in portal_row
    assert 'data-setting="MOTCUA_PORTAL_PASSWORD" data-set="1"' in portal_row
    assert 'data-setting="MOTCUA_PORTAL_DSTCODE" data-set="0"' in portal_row
    assert re.search(r'data-seconds="\d+\.\d{3}"', portal_row)
    assert SECRET not in html  # a secret's name, never its value
    sms_row = row(html, "sms")
    assert 'data-status="not-configured" data-configured="0"' in sms_row and "data-standin" not in sms_row

    monkeypatch.setenv("MOTCUA_PORTAL_PASSWORD", "sai")  # the portal refuses: said so, with the portal's reason
    english = client.get("/admin/connectors?lang=en").get_data(as_text=True)
    refused = row(english, "portal")
    assert 'data-status="refused"' in refused and "Refused" in refused and "Sai tên đăng nhập" in refused
    assert "Stand-in server" not in refused  # no answer said it is one


def test_only_administrators_see_it(app: Flask) -> None:
    client, _csrf = signed_in(app, "tiepnhan")
    assert client.get("/admin/connectors").status_code == 403
    assert app.test_client().get("/admin/connectors").status_code == 302  # a visitor: to the sign-in page
