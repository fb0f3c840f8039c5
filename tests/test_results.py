"""The result's lifecycle end to end over real HTTP, on SQLite and PostgreSQL: a household business dossier runs to
the leader's approval, its result is rendered and numbered, the leader signs remotely (the stand-in signing
service's phone confirms), the scheduler's job embeds the signature and the unit's seal, and the issued PDF
validates with pyHanko's own validator (LeaderSignature and UnitSeal: intact, trusted, time-stamped). Rejected at
the phone, a revoked certificate, a webhook with a bad HMAC, the browser-plugin upload (accepted, tampered, another
file, an unknown CA), and who may sign."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from datetime import timedelta
from io import BytesIO
from typing import Any

from sqlalchemy import select

from connectors.remote_signing.protocol import webhook_signature
from engine.results.models import ResultDocument
from engine.signing.aio import run_sync
from engine.store.models import AuditEntry
from engine.sync.models import PortalMessage

from .pki_support import plugin_sign, small_pdf
from .results_support import WEBHOOK_SECRET, Live, approve
from .results_support import live as live  # the fixture


def _post(url: str, data: bytes = b"{}", content_type: str = "application/json") -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def _actions(live: Live, code: str) -> list[str]:
    from engine.dossiers.models import Dossier

    with live.app.extensions["motcua"].session_factory() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.dossier_id == dossier_id)
                                    .order_by(AuditEntry.seq)))


def _validated(live: Live, pdf: bytes) -> dict[str, Any]:
    """Each signature field's status by pyHanko's own validator, against the demo PKI's root only."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _, _, der = pem.unarmor(live.pki.root_pem.read_bytes())
    roots = [x509.Certificate.load(der)]
    found = {}
    for signature in PdfFileReader(BytesIO(pdf)).embedded_signatures:
        if signature.field_name in ("LeaderSignature", "UnitSeal"):
            context = ValidationContext(trust_roots=roots, allow_fetching=True)
            # pyHanko's own validator, on a loop of its own (a browser test's may run on this thread)
            found[signature.field_name] = run_sync(async_validate_pdf_signature(signature, context))
    return found


def _start_remote(live: Live, code: str, user: str = "lanhdao") -> str:
    resp = live.api.post(f"/dossiers/{code}/result/remote-signing", user)
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["state"] == "leader_pending"
    return str(resp.get_json()["transaction_id"])


def test_remote_signature_confirmed_at_the_phone_issues_a_valid_result(live: Live) -> None:
    code = approve(live.api)
    found = live.result(code)
    assert found["state"] == "awaiting_leader" and found["number"] == "1/GCN-HKD", found  # rendered at once
    draft = live.api.get(found["links"]["draft"].removeprefix("/api/v1"), "lanhdao")
    assert draft.status_code == 200 and draft.data.startswith(b"%PDF-")
    assert draft.headers["X-Content-SHA256"] == hashlib.sha256(draft.data).hexdigest()

    tx = _start_remote(live, code)
    assert live.result(code)["state"] == "leader_pending"
    request = live.signing.wait_pending("lanhdao")
    assert request["transaction_id"] == tx and code in request["description"]
    assert live.run_job() == 1 and live.result(code)["state"] == "leader_pending"  # asked: not yet confirmed
    assert _post(f"{live.signing.url}/_control/confirm/{tx}") == 200  # the leader's phone
    live.run_job()
    found = live.result(code)
    assert found["state"] == "issued" and found["signer"] == live.pki.leader_name and found["issued_at"], found
    pdf = live.api.get(f"/dossiers/{code}/result/signed.pdf", "tiepnhan")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == found["sha256"]

    statuses = _validated(live, pdf.data)
    assert set(statuses) == {"LeaderSignature", "UnitSeal"}
    for name, status in statuses.items():
        assert status.intact and status.valid and status.trusted, (name, status.summary())
        assert status.timestamp_validity is not None, name  # a signature time stamp from the TSA
    leader = statuses["LeaderSignature"].signing_cert.subject.native["common_name"]
    assert leader == live.pki.leader_name

    actions = _actions(live, code)
    for action in ("result_requested", "result_rendered", "result_signing_requested", "result_leader_signed",
                   "result_issued"):
        assert action in actions, (action, actions)
    with live.app.extensions["motcua"].session_factory() as session:
        queued = session.scalars(select(PortalMessage.action).where(PortalMessage.action == "result_issued")).all()
    assert queued == ["result_issued"]  # the portal sync is told of the issued result
    second = approve(live.api)
    assert live.result(second)["number"] == "2/GCN-HKD"  # the unit's sequence for the year


def test_rejected_at_the_phone_goes_back_to_the_leader_with_the_reason(live: Live) -> None:
    code = approve(live.api)
    tx = _start_remote(live, code)
    live.signing.wait_pending("lanhdao")
    phone = urllib.request.urlopen(live.signing.phone_url, timeout=10).read().decode()
    assert f'data-request="{tx}"' in phone
    assert _post(f"{live.signing.url}/phone/{tx}", b"action=reject", "application/x-www-form-urlencoded") == 200
    live.run_job()
    found = live.result(code)
    assert found["state"] == "awaiting_leader" and "từ chối" in found["error"], found
    assert "result_signing_rejected" in _actions(live, code)
    _start_remote(live, code)  # the leader may ask again


def test_a_revoked_leader_certificate_is_refused(live: Live) -> None:
    code = approve(live.api)
    # the stand-in holds the revoked certificate for this leader: refused before the phone is asked
    resp = live.api.post(f"/dossiers/{code}/result/remote-signing", "tatca")
    assert resp.status_code == 409 and resp.get_json()["reason"] == "revoked", resp.get_json()
    assert "thu hồi" in resp.get_json()["message_vi"]
    assert live.signing.pending() == [] and live.result(code, "tatca")["state"] == "awaiting_leader"
    assert "result_signing_requested" not in _actions(live, code)


def test_the_webhook_needs_the_services_hmac_and_then_finishes_the_signature(live: Live) -> None:
    code = approve(live.api)
    tx = _start_remote(live, code)
    body = json.dumps({"transaction_id": tx}).encode()
    for signature in ("", "0" * 64, webhook_signature("another-key", body)):
        resp = live.api.client.post("/api/v1/signing/callback", data=body, content_type="application/json",
                                    headers={"X-Signature": signature})
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json", resp.data
    assert live.result(code)["state"] == "leader_pending"
    live.signing.webhook(f"{live.url}/api/v1/signing/callback", WEBHOOK_SECRET)
    live.signing.confirm(tx)  # the service posts its signed webhook; Motcua asks it and finishes
    found = live.wait_state(code, "issued")
    assert found["state"] == "issued", found
    assert any(w["status"] == 200 for w in live.signing.webhooks)


def _upload(live: Live, code: str, data: bytes, user: str = "lanhdao") -> Any:
    return live.api.post(f"/dossiers/{code}/result/signed", user, data={"file": (BytesIO(data), "signed.pdf")},
                         content_type="multipart/form-data")


def test_plugin_upload_accepts_the_leaders_signed_draft_and_refuses_anything_else(live: Live) -> None:
    code = approve(live.api)
    draft = live.api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao").data
    signed = plugin_sign(draft, live.pki.leader_p12, live.pki.tsa_url)
    tampered = bytearray(signed)
    at = signed.index(b"/Contents <") - 200  # a byte the signature covers
    tampered[at] = (tampered[at] + 1) % 256
    refusals = {"tampered": bytes(tampered), "another file": plugin_sign(small_pdf(), live.pki.leader_p12),
                "unknown CA": plugin_sign(draft, live.pki.unknown_ca_p12),
                "revoked": plugin_sign(draft, live.pki.leader_revoked_p12), "not a PDF": b"%PDF-1.7 garbage"}
    for name, data in refusals.items():
        resp = _upload(live, code, data)
        assert resp.status_code == 422, (name, resp.status_code, resp.get_json())
        assert resp.get_json()["code"] == "signature-refused" and resp.get_json()["message_vi"], name
    assert _upload(live, code, b"").status_code == 400
    assert live.result(code)["state"] == "awaiting_leader"
    resp = _upload(live, code, signed)
    assert resp.status_code == 200 and resp.get_json()["state"] == "issued", resp.get_json()
    pdf = live.api.get(f"/dossiers/{code}/result/signed.pdf", "lanhdao").data
    assert set(_validated(live, pdf)) == {"LeaderSignature", "UnitSeal"}
    assert _upload(live, code, signed).status_code == 409  # issued: nothing more to sign


def test_only_a_leader_of_the_competent_unit_signs(live: Live) -> None:
    code = approve(live.api)
    for user, status in (("chuyenvien", 403), ("tiepnhan", 403), ("lanhdao_tt", 404)):
        assert live.api.post(f"/dossiers/{code}/result/remote-signing", user).status_code == status, user
        assert _upload(live, code, b"%PDF-1.7", user).status_code == status, user
    assert live.api.get(f"/dossiers/{code}/result", "lanhdao_tt").status_code == 404
    assert live.api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao_tt").status_code == 404
    assert live.api.get(f"/dossiers/{code}/result", "chuyenvien").get_json()["may_sign"] is False
    with live.app.extensions["motcua"].session_factory() as session:
        assert session.scalars(select(ResultDocument.state)).all() == ["awaiting_leader"]
    assert live.signing.pending() == []


def test_a_seal_that_fails_is_kept_with_its_message_and_retried_by_the_job(live: Live, monkeypatch: Any,
                                                                           tmp_path: Any) -> None:
    code = approve(live.api)
    draft = live.api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao").data
    signed = plugin_sign(draft, live.pki.leader_p12, live.pki.tsa_url)
    unit_key = live.pki.env()["MOTCUA_SIGNING_UNIT_PKCS12"]
    monkeypatch.setenv("MOTCUA_SIGNING_UNIT_PKCS12", str(tmp_path / "missing.p12"))  # the unit's key is away
    resp = _upload(live, code, signed)
    assert resp.status_code == 200 and resp.get_json()["state"] == "leader_signed", resp.get_json()
    assert "đóng dấu" in resp.get_json()["error"]
    monkeypatch.setenv("MOTCUA_SIGNING_UNIT_PKCS12", unit_key)
    assert live.run_job() == 0  # it waits (30 s after one failure) before trying again
    with live.app.extensions["motcua"].session_factory() as session:
        row = session.scalars(select(ResultDocument)).one()
        assert row.attempts == 1
        row.updated_at -= timedelta(minutes=1)
        session.commit()
    live.run_job()
    found = live.result(code)
    assert found["state"] == "issued" and found["error"] is None, found


def test_a_result_given_up_is_taken_up_again_by_the_leader_from_the_page(live: Live, monkeypatch: Any,
                                                                         tmp_path: Any) -> None:
    from engine.results.issue import MAX_ATTEMPTS

    from .test_officer_pages import signed_in

    code = approve(live.api)
    assert live.api.post(f"/dossiers/{code}/result/retry", "lanhdao").get_json()["reason"] == "not-failed"
    draft = live.api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao").data
    unit_key = live.pki.env()["MOTCUA_SIGNING_UNIT_PKCS12"]
    monkeypatch.setenv("MOTCUA_SIGNING_UNIT_PKCS12", str(tmp_path / "missing.p12"))  # the unit's key is away
    assert _upload(live, code, plugin_sign(draft, live.pki.leader_p12, live.pki.tsa_url)).status_code == 200
    with live.app.extensions["motcua"].session_factory() as session:  # the job's last allowed try is due
        row = session.scalars(select(ResultDocument)).one()
        row.attempts, row.updated_at = MAX_ATTEMPTS - 1, row.updated_at - timedelta(hours=1)
        session.commit()
    live.run_job()
    assert live.result(code)["state"] == "failed"

    page, _ = signed_in(live.app, "lanhdao")
    html = page.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "data-result-retry" in html and "Lập kết quả không thành công" in html  # the history says it in words
    specialist, _ = signed_in(live.app, "chuyenvien")
    assert "data-result-retry" not in specialist.get(f"/dossiers/{code}").get_data(as_text=True)
    assert live.api.post(f"/dossiers/{code}/result/retry", "chuyenvien").status_code == 403
    assert live.api.post(f"/dossiers/{code}/result/retry", "lanhdao_tt").status_code == 404

    monkeypatch.setenv("MOTCUA_SIGNING_UNIT_PKCS12", unit_key)  # mended: the leader takes it up again
    resp = live.api.post(f"/dossiers/{code}/result/retry", "lanhdao")
    assert resp.status_code == 200 and resp.get_json()["state"] == "issued", resp.get_json()
    assert set(_validated(live, live.api.get(f"/dossiers/{code}/result/signed.pdf", "lanhdao").data)) == {
        "LeaderSignature", "UnitSeal"}
    actions = _actions(live, code)
    assert actions.index("result_failed") < actions.index("result_retried") < actions.index("result_issued")
