"""An issued result's archive time stamp renewed before its TSA certificate ends (PAdES-B-LTA), on SQLite and
PostgreSQL: the date kept at issue, the `results` job adding a DSS + document time stamp revision when the date
falls within MOTCUA_SIGNING_RENEW_BEFORE_DAYS (the signatures still valid, the old file a prefix of the new, the
renewal audited), nothing when it does not, and nothing changed when the TSA does not answer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from sqlalchemy import select

from engine.results.models import ResultDocument
from engine.signing.renewal import timestamp_expiry
from engine.signing.validate import validate
from engine.store.models import AuditEntry

from .pki_support import plugin_sign, small_pdf
from .results_support import Live, approve
from .results_support import live as live  # the fixture
from .test_results import _actions, _upload, _validated

HUGE = "100000"  # days: every issued result is due


def _issued(live: Live) -> str:
    """A result signed by the leader's browser plugin and sealed by the unit at once; its dossier's code."""
    code = approve(live.api)
    draft = live.api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao").data
    resp = _upload(live, code, plugin_sign(draft, live.pki.leader_p12, live.pki.tsa_url))
    assert resp.status_code == 200 and resp.get_json()["state"] == "issued", resp.get_json()
    return code


def _signed(live: Live, code: str) -> bytes:
    resp = live.api.get(f"/dossiers/{code}/result/signed.pdf", "lanhdao")
    assert resp.status_code == 200
    return bytes(resp.data)


def _tsa_not_after(live: Live) -> datetime:
    from cryptography import x509

    return x509.load_pem_x509_certificate(live.pki.path("tsa.pem").read_bytes()).not_valid_after_utc


def _doc_timestamps(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return sum(1 for s in PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
               if s.sig_object_type == "/DocTimeStamp")


def _row(live: Live, code: str) -> ResultDocument:
    row = live.row(code)
    assert row is not None
    return row


def test_timestamp_expiry_of_what_is_not_a_time_stamped_pdf_is_none() -> None:
    assert timestamp_expiry(b"") is None
    assert timestamp_expiry(b"%PDF-1.7 garbage \x00\xff") is None
    assert timestamp_expiry(small_pdf()) is None  # a PDF, but no document time stamp


def test_an_issued_result_is_renewed_when_its_time_stamp_is_due(live: Live, monkeypatch: Any) -> None:
    code = _issued(live)
    row = _row(live, code)
    assert row.timestamp_until == _tsa_not_after(live)
    before, signed_id = _signed(live, code), row.signed_id

    assert live.run_job() == 0  # the default window (365 days): the demo TSA's certificate ends later
    assert _row(live, code).signed_id == signed_id

    monkeypatch.setenv("MOTCUA_SIGNING_RENEW_BEFORE_DAYS", HUGE)
    assert live.run_job() == 1
    after = _signed(live, code)
    assert after != before and after.startswith(before)  # an incremental revision: the old file untouched
    assert _doc_timestamps(after) == _doc_timestamps(before) + 1
    assert hashlib.sha256(after).hexdigest() == live.result(code)["sha256"]
    statuses = _validated(live, after)
    assert set(statuses) == {"LeaderSignature", "UnitSeal"}
    for name, status in statuses.items():
        assert status.intact and status.valid and status.trusted, (name, status.summary())
    assert validate(after, live.pki.settings()).ok
    renewed = _row(live, code)
    assert renewed.state == "issued" and renewed.signed_id != signed_id
    assert renewed.timestamp_until == _tsa_not_after(live)

    with live.app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "result_timestamp_renewed")).one()
        assert entry.entity_id == code and entry.before == {"sha256": hashlib.sha256(before).hexdigest()}
        assert entry.after == {"sha256": hashlib.sha256(after).hexdigest()}
        assert entry.detail["timestamp_until"] == _tsa_not_after(live).isoformat()
    assert "result_timestamp_renewed" in _actions(live, code)

    assert live.run_job() == 0  # just renewed: the same TSA certificate would not move the date, so it waits
    monkeypatch.delenv("MOTCUA_SIGNING_RENEW_BEFORE_DAYS")
    assert live.run_job() == 0 and _signed(live, code) == after  # the default window: nothing due


def test_a_result_issued_before_the_date_was_kept_has_it_read_from_its_pdf(live: Live) -> None:
    code = _issued(live)
    with live.app.extensions["motcua"].session_factory() as session:
        row = session.scalars(select(ResultDocument)).one()
        row.timestamp_until = None
        session.commit()
    before = _signed(live, code)
    assert live.run_job() == 0  # read, not due
    assert _row(live, code).timestamp_until == _tsa_not_after(live) and _signed(live, code) == before


def test_with_the_tsa_down_nothing_changes_and_the_next_run_renews(live: Live, monkeypatch: Any) -> None:
    code = _issued(live)
    row = _row(live, code)
    monkeypatch.setenv("MOTCUA_SIGNING_RENEW_BEFORE_DAYS", HUGE)
    monkeypatch.setenv("MOTCUA_SIGNING_TIMEOUT", "2")
    live.pki.standin.down()
    try:
        assert live.run_job() == 0
    finally:
        live.pki.standin.up()
    unchanged = _row(live, code)
    assert (unchanged.state, unchanged.signed_id, unchanged.timestamp_until, unchanged.updated_at) == (
        row.state, row.signed_id, row.timestamp_until, row.updated_at)
    assert "result_timestamp_renewed" not in _actions(live, code)
    assert live.run_job() == 1
    assert _row(live, code).signed_id != row.signed_id
    assert "result_timestamp_renewed" in _actions(live, code)
    assert datetime.now(UTC) < _row(live, code).timestamp_until  # type: ignore[operator]
