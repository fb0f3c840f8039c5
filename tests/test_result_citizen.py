"""End to end with the real lifecycle (Part L): a dossier approved, its result signed remotely by the leader (the
stand-in's phone confirms) and sealed by the unit; then the citizen's side: the portal sync's message of the issued
result carries the capability link, which serves the very PDF; the public page verifies it by code and PIN
("Văn bản hợp lệ", the leader and the unit); the tracking page offers the download. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

from sqlalchemy import select

from connectors.trust_services.demo_pki import CENTRE
from engine.dossiers.models import Dossier
from engine.sync.models import PortalMessage

from .results_support import Live
from .results_support import live as live  # the fixture
from .test_flow import PATHS, ROLE_USERS
from .test_flow import submit as submit_dossier

HKD = "ho-kinh-doanh"


def issued(live: Live) -> tuple[str, str]:
    """A dossier through approval and the leader's remote signature, to an issued result; (code, PIN)."""
    created = submit_dossier(live.api, HKD)
    code = created["code"]
    while live.row(code) is None:
        task = live.api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]
        done = live.api.complete(task["id"], ROLE_USERS[task["role"]], PATHS[HKD]["steps"][task["bpmn_id"]])
        assert done.status_code == 200, done.get_json()
    started = live.api.post(f"/dossiers/{code}/result/remote-signing", "lanhdao")
    assert started.status_code == 202, started.get_json()
    request = urllib.request.Request(f"{live.signing.url}/_control/confirm/{started.get_json()['transaction_id']}",
                                     data=b"{}", headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    live.run_job()
    assert live.result(code)["state"] == "issued", live.result(code)
    return code, created["pin"]


def result_message(live: Live, code: str) -> dict[str, Any]:
    with live.app.extensions["motcua"].session_factory() as session:
        payload = session.scalars(select(PortalMessage.payload).join(Dossier).where(
            Dossier.code == code, PortalMessage.action == "result_issued")).one()
    return payload


def test_an_issued_result_reaches_the_portal_the_verify_page_and_the_tracking_page(live: Live) -> None:
    code, pin = issued(live)
    [result] = result_message(live, code)["dossier"]["results"]
    assert result["id"] == f"{code}-KQ" and re.fullmatch(rf".*/results/{code}/[0-9a-f]{{32}}\.pdf", result["url"])
    path = result["url"][result["url"].index("/results/"):]
    with urllib.request.urlopen(f"{live.url}{path}", timeout=10) as served:  # the portal fetches it
        pdf = served.read()
    signed = live.api.get(f"/dossiers/{code}/result/signed.pdf", "tiepnhan")
    assert pdf == signed.data and pdf.startswith(b"%PDF-")

    client = live.app.test_client()
    client.get("/verify")
    with client.session_transaction() as session:
        token = session["csrf"]
    shown = client.post("/verify", data={"csrf_token": token, "code": code, "pin": pin})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Văn bản hợp lệ" in html, html[-2000:]
    assert live.pki.leader_name in html and CENTRE in html
    report = client.post("/api/v1/verifications", data={"code": code, "pin": pin},
                         content_type="multipart/form-data").get_json()
    assert report["ok"] and {s["field"] for s in report["signatures"]} >= {"LeaderSignature", "UnitSeal"}, report

    tracked = client.post("/track", data={"csrf_token": token, "code": code, "pin": pin}).get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-result-download', tracked)
    assert link and client.get(link[1]).data == pdf
