"""The citizen's electronic result once it is issued: the tracking page's download for the browser that gave the
PIN (no PIN in the URL; another browser 404), "Hồ sơ của tôi" for the owner (another citizen 404), each download
audited; the portal's capability link (a wrong or stale token 404); the figure "electronic results" that moves when
a result is issued and not otherwise; and the portal sync's message carrying the link, which serves the PDF.
SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connectors.portal.client import PortalClient
from connectors.portal.standin import StandinPortal
from engine.dossiers.models import Dossier
from engine.store.models import AuditEntry
from engine.sync.models import PortalMessage
from engine.time.clock import LOCAL_TZ

from .conftest import Api
from .test_flow import run_to_end, submit
from .test_officer_pages import signed_in
from .test_portal_connector import portal as portal
from .test_portal_connector import settings as portal_settings
from .verification_support import issue, minimal_pdf, sign_with

HKD = "ho-kinh-doanh"
PUBLIC = "https://motcua.camau.gov.vn"


@pytest.fixture(scope="module")
def signed(demo_pki: Any) -> tuple[bytes, bytes]:
    """Two signed results (the second: a re-issue), as the lifecycle would store them."""
    first = sign_with(minimal_pdf(), demo_pki.leader_p12, demo_pki.tsa_url)
    return first, sign_with(minimal_pdf("GIAY CHUNG NHAN CAP LAI"), demo_pki.leader_p12, demo_pki.tsa_url)


@pytest.fixture
def app(app_factory: Any, demo_pki: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name, value in {**demo_pki.env(), "MOTCUA_DOCUMENT_STORE_DIR": str(tmp_path / "documents")}.items():
        monkeypatch.setenv(name, value)
    yield app_factory(public_url=PUBLIC)


def processed(app: Flask) -> tuple[str, str]:
    api = Api(app.test_client())
    created = submit(api, HKD)
    run_to_end(api, HKD, created["code"])
    return created["code"], created["pin"]


def tracking(app: Flask, code: str, pin: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    client.get("/track")
    with client.session_transaction() as session:
        token = session["csrf"]
    shown = client.post("/track", data={"csrf_token": token, "code": code, "pin": pin})
    assert shown.status_code == 200
    return client, shown.get_data(as_text=True)


def downloads(app: Flask, code: str) -> list[dict[str, Any]]:
    with app.extensions["motcua"].session_factory() as session:
        return [e.detail for e in session.scalars(select(AuditEntry).where(
            AuditEntry.action == "result_downloaded", AuditEntry.entity_id == code).order_by(AuditEntry.seq))]


def test_the_tracking_page_offers_the_signed_result_to_the_browser_that_gave_the_pin(
        app: Flask, signed: tuple[bytes, bytes]) -> None:
    code, pin = processed(app)
    client, html = tracking(app, code, pin)
    assert "Tải kết quả điện tử (đã ký số)" not in html  # not issued yet
    assert client.get(f"/track/result/{code}").status_code == 404
    issue(app, code, signed[0])
    client, html = tracking(app, code, pin)
    link = re.search(r'href="([^"]+)" data-result-download', html)
    assert link and "Tải kết quả điện tử (đã ký số)" in html and pin not in link[1], html
    got = client.get(link[1])
    assert got.status_code == 200 and got.mimetype == "application/pdf" and got.data == signed[0]
    assert "attachment" in got.headers["Content-Disposition"]
    assert app.test_client().get(link[1]).status_code == 404  # another browser: no PIN given there
    assert [d["by"] for d in downloads(app, code)] == ["pin"]
    other = app.test_client()  # a wrong PIN leaves no proof
    other.get("/track")
    with other.session_transaction() as session:
        token = session["csrf"]
    assert other.post("/track", data={"csrf_token": token, "code": code, "pin": "00000000"}).status_code == 404
    assert other.get(link[1]).status_code == 404


def sign_in_citizen(app: Flask, key: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["citizen"] = {"subject": f"vneid-{key}", "key": key, "kind": "person", "name": "Công dân",
                              "claims": {}}
        session["citizen_iat"] = int(time.time())
    return client


def test_my_dossiers_offers_the_owner_the_result_and_nobody_else(app: Flask, signed: tuple[bytes, bytes]) -> None:
    code, _ = processed(app)
    with app.extensions["motcua"].session_factory() as session:
        key = session.scalars(select(Dossier.applicant_key).where(Dossier.code == code)).one()
    owner = sign_in_citizen(app, key)
    assert "data-result-download" not in owner.get(f"/my-dossiers/{code}").get_data(as_text=True)
    assert owner.get(f"/my-dossiers/{code}/result").status_code == 404
    issue(app, code, signed[0])
    page = owner.get(f"/my-dossiers/{code}").get_data(as_text=True)
    assert f'href="/my-dossiers/{code}/result" data-result-download' in page
    got = owner.get(f"/my-dossiers/{code}/result")
    assert got.status_code == 200 and got.data == signed[0]
    assert sign_in_citizen(app, "001099000001").get(f"/my-dossiers/{code}/result").status_code == 404
    assert app.test_client().get(f"/my-dossiers/{code}/result").status_code == 303  # to the VNeID sign-in
    [detail] = downloads(app, code)
    assert detail["by"].startswith("citizen:") and key not in detail["by"]


def queued_results(app: Flask, code: str) -> list[dict[str, Any]]:
    with app.extensions["motcua"].session_factory() as session:
        message = session.scalars(select(PortalMessage).join(Dossier).where(Dossier.code == code)
                                  .order_by(PortalMessage.id.desc())).first()
        assert message is not None
        return message.payload["dossier"]["results"]


def test_the_portal_sync_carries_the_link_that_serves_the_signed_pdf(
        app: Flask, signed: tuple[bytes, bytes], portal: StandinPortal) -> None:
    code, _ = processed(app)
    [before] = queued_results(app, code)
    assert before["id"] == f"{code}-KQ" and before["url"] is None
    issue(app, code, signed[0])
    [result] = queued_results(app, code)
    assert result["id"] == f"{code}-KQ" and result["url"].startswith(f"{PUBLIC}/results/{code}/")
    with app.extensions["motcua"].session_factory() as session:
        payload = session.scalars(select(PortalMessage.payload).join(Dossier).where(Dossier.code == code)
                                  .order_by(PortalMessage.id.desc())).first()
    PortalClient(portal_settings(portal)).push(payload)
    record = portal.records[0]["body"]["data"][0]
    [sent] = record["DanhSachGiayToKetQua"]
    assert (sent["GiayToId"], sent["DuongDanTepTinKetQua"]) == (f"{code}-KQ", result["url"])
    client = app.test_client()
    path = result["url"].removeprefix(PUBLIC)
    got = client.get(path)
    assert got.status_code == 200 and got.data == signed[0] and got.mimetype == "application/pdf"
    assert downloads(app, code)[-1]["by"] == "link"
    assert client.get(path.replace(path[-10:-4], "000000")).status_code == 404  # a wrong token
    assert client.get(f"/results/{code}/{'0' * 32}.pdf").status_code == 404
    issue(app, code, signed[1])  # re-issued: a new link, the old one names a file no longer given out
    [again] = queued_results(app, code)
    assert again["url"] != result["url"] and client.get(again["url"].removeprefix(PUBLIC)).data == signed[1]
    assert client.get(path).status_code == 404


def electronic(api: Api, start: str) -> tuple[int, float | None]:
    answer = api.get(f"/stats?start={start}&end=9998-01-01", "lanhdao")
    assert answer.status_code == 200, answer.get_json()
    [figures] = answer.get_json()["groups"]
    return figures["electronic_results"], figures["rates"]["electronic_results"]


def test_the_electronic_results_figure_moves_when_a_result_is_issued_and_not_otherwise(
        app: Flask, signed: tuple[bytes, bytes]) -> None:
    api = Api(app.test_client())
    first, _ = processed(app)
    processed(app)  # processed, its result never issued electronically
    with app.extensions["motcua"].session_factory() as session:
        day = session.scalars(select(Dossier.processed_at).where(Dossier.code == first)).one()
    start = (day.astimezone(LOCAL_TZ) - timedelta(days=1)).date().isoformat()
    assert electronic(api, start) == (0, 0.0)
    client, _ = signed_in(app, "lanhdao")
    assert 'data-electronic-results="0"' in client.get("/dashboard/").get_data(as_text=True)
    issue(app, first, signed[0])
    assert electronic(api, start) == (1, 50.0)
    assert 'data-electronic-results="1"' in client.get("/dashboard/").get_data(as_text=True)
    issue(app, first, signed[1])  # issued again: still one dossier
    assert electronic(api, start) == (1, 50.0)
    csv = client.get("/dashboard/export.csv?group_by=none").get_data().decode("utf-8-sig")
    assert "Kết quả điện tử" in csv and "Tỷ lệ kết quả điện tử (%)" in csv
