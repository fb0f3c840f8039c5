"""Official documents as PDF/A (engine/rendering/): forms 01-06, the result document from the procedure's own
template and form 07, rendered by WeasyPrint in a bounded child process, stored with their SHA-256 and audited.
Read back with pyHanko's reader: PDF/A-2b identification, A4 pages, every font embedded, the Vietnamese text with
its diacritics. SQLite and PostgreSQL for what touches the database."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from engine.dossiers.models import Dossier
from engine.people.models import Unit
from engine.rendering.service import render_result
from engine.rendering.store import RenderedDocument, read_document
from engine.store.models import AuditEntry

from .conftest import Api
from .pdf_support import A4, is_pdfa_2b, read_pdf
from .test_flow import PATHS, run_to_end, submit
from .test_inbox import make_officer
from .test_officer_pages import signed_in

HKD = "ho-kinh-doanh"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_pdfa_a4(pdf: bytes, landscape: bool = False) -> Any:
    facts = read_pdf(pdf)
    assert is_pdfa_2b(facts), facts.xmp
    size = (A4[1], A4[0]) if landscape else A4
    assert all(abs(w - size[0]) < 1 and abs(h - size[1]) < 1 for w, h in facts.pages), facts.pages
    assert facts.fonts and all(facts.fonts.values()), facts.fonts  # every font embedded
    assert all("DejaVu-Serif" in name for name in facts.fonts), facts.fonts
    assert facts.lang == "vi" and facts.info.get("/Creator") == "Motcua"
    assert "CỘNGHÒAXÃHỘICHỦNGHĨAVIỆTNAM" in squash(facts.text)
    assert "Độclập-Tựdo-Hạnhphúc" in squash(facts.text)
    return facts


def stored(app: Flask, sha256: str) -> tuple[RenderedDocument, bytes, list[AuditEntry]]:
    runtime = app.extensions["motcua"]
    with runtime.uow() as uow:
        doc = uow.session.scalars(select(RenderedDocument).where(RenderedDocument.sha256 == sha256)
                                  .order_by(RenderedDocument.id.desc())).first()
        assert doc is not None
        audit = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.entity == "document",
                                                                  AuditEntry.entity_id == str(doc.id))))
        uow.session.expunge_all()
        return doc, read_document(uow, doc), audit


def test_form_01_as_pdf_a(app: Flask) -> None:
    make_officer(app, "tt_spec", [("CM-TT", "specialist")])
    api = Api(app.test_client())
    code = submit(api, HKD)["code"]

    resp = api.get(f"/dossiers/{code}/documents/receipt.pdf", "tiepnhan")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{code}-01.pdf"'
    body = resp.get_data()
    assert resp.headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    text = squash(assert_pdfa_a4(body).text)
    assert "GIẤYTIẾPNHẬNHỒSƠVÀHẸNTRẢKẾTQUẢ" in text and code in text
    assert "NguyễnThịMinhAnh" in text and "Đăngkýthànhlậphộkinhdoanh" in text
    assert "Invănbản" not in text  # the screen's toolbar stays off the paper

    doc, kept, audit = stored(app, hashlib.sha256(body).hexdigest())
    assert kept == body and doc.kind == "receipt" and doc.size == len(body) and doc.created_by is not None
    assert [(a.action, a.detail["kind"], a.detail["sha256"]) for a in audit] == [
        ("document_rendered", "receipt", doc.sha256)]

    # the HTML form and the officer's dossier page link to the PDF
    html = api.get(f"/dossiers/{code}/documents/receipt", "tiepnhan").get_data(as_text=True)
    assert f'href="/api/v1/dossiers/{code}/documents/receipt.pdf"' in html
    page, _ = signed_in(app, "tiepnhan")
    dossier_page = page.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f'/api/v1/dossiers/{code}/documents/receipt.pdf" download data-document-pdf="receipt"' in dossier_page
    assert 'data-document-pdf="result"' not in dossier_page  # no result before the dossier is processed

    # another commune's officer learns nothing; an unknown form is a 404 too
    assert api.get(f"/dossiers/{code}/documents/receipt.pdf", "tt_spec").status_code == 404
    assert api.get(f"/dossiers/{code}/documents/nothing.pdf", "tiepnhan").status_code == 404
    control = api.get(f"/dossiers/{code}/documents/control-sheet.pdf", "chuyenvien")
    assert control.status_code == 200 and "PHIẾUKIỂMSOÁT" in squash(read_pdf(control.get_data()).text)


def test_result_document_from_the_procedure_template(app: Flask) -> None:
    api = Api(app.test_client())
    code = submit(api, HKD)["code"]
    run_to_end(api, HKD, code)
    with app.extensions["motcua"].session_factory() as session:  # the centre receives; its commune issues
        session.execute(update(Unit).where(Unit.code == "CM-AX").values(authority="Ủy ban nhân dân phường An Xuyên"))
        session.commit()

    page, _ = signed_in(app, "lanhdao")
    assert f'/api/v1/dossiers/{code}/documents/result.pdf" download data-document-pdf="result"' in \
        page.get(f"/dossiers/{code}").get_data(as_text=True)
    resp = api.get(f"/dossiers/{code}/documents/result.pdf", "lanhdao")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_data()
    text = squash(assert_pdfa_a4(body).text)
    start = PATHS[HKD]["start"]
    assert "GIẤYCHỨNGNHẬNĐĂNGKÝHỘKINHDOANH" in text
    assert squash(start["ten_ho_kinh_doanh"].upper()) in text
    assert squash(start["dia_chi_kinh_doanh"]) in text and "150.000.000đồng" in text
    assert "Cánhânđăngkýhộkinhdoanh" in text  # the form's label for the choice, not its value
    assert "14/05/1988" in text and f"Số:{code}/GCN-HKD" in text  # the number defaults to the dossier code
    assert "KT.CHỦTỊCH" in text and "PHÓCHỦTỊCH" in text
    assert text.index("ỦYBANNHÂNDÂNPHƯỜNGANXUYÊN") < text.index("CỘNGHÒAXÃHỘI")  # the issuer heads the page
    doc, kept, audit = stored(app, resp.headers["X-Content-SHA256"])
    assert kept == body and doc.kind == "result" and [a.action for a in audit] == ["result_rendered"]

    # the service the result's lifecycle calls: a number, the signed wording, outside any transaction
    runtime = app.extensions["motcua"]
    signed = render_result(runtime.uow, code, None, number="12", signed=True)
    with runtime.uow() as uow:
        pdf = read_document(uow, signed)
        dossier_id = uow.session.scalars(select(Dossier.id).where(Dossier.code == code)).one()
    assert signed.dossier_id == dossier_id and signed.sha256 == hashlib.sha256(pdf).hexdigest()
    assert "Số:12/GCN-HKD" in squash(read_pdf(pdf).text) and "(Đãkýsố)" in squash(read_pdf(pdf).text)


def test_register_as_landscape_pdf(app: Flask) -> None:
    make_officer(app, "tt_spec", [("CM-TT", "specialist")])
    api = Api(app.test_client())
    codes = [submit(api, HKD)["code"] for _ in range(2)]
    page, _ = signed_in(app, "chuyenvien")
    register_page = page.get("/register?unit=CM-AX").get_data(as_text=True)
    assert 'data-export="register-pdf"' in register_page and "/register/export.pdf?unit=CM-AX" in register_page
    from_page = page.get("/register/export.pdf?unit=CM-AX")
    assert from_page.status_code == 200 and from_page.mimetype == "application/pdf"
    resp = api.get("/dossiers/export.pdf?unit=CM-AX", "chuyenvien")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    facts = assert_pdfa_a4(resp.get_data(), landscape=True)
    text = squash(facts.text)
    assert "SỔTHEODÕIHỒSƠ" in text and all(code in text for code in codes)
    assert "Mãhồsơ" in text and "NguyễnThịMinhAnh" in text
    doc, _, audit = stored(app, resp.headers["X-Content-SHA256"])
    assert doc.kind == "register" and doc.dossier_id is None and [a.action for a in audit] == ["document_rendered"]
    assert api.get("/dossiers/export.pdf?unit=CM-AX", "tt_spec").status_code == 404  # not one of theirs
    assert api.get("/dossiers/export.pdf?unit=CM-AX", "quantri").status_code == 403  # no officer role


def test_a_hostile_result_template_is_refused_with_a_reason(app_factory: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[1]
    folder = tmp_path / "processes" / HKD
    folder.mkdir(parents=True)
    for item in (root / "processes" / HKD).iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    (folder / "result.html").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", encoding="utf-8")
    monkeypatch.setenv("MOTCUA_RENDER_TIMEOUT", "3")
    api = Api(app_factory(processes_dir=tmp_path / "processes").test_client())
    code = submit(api, HKD)["code"]
    resp = api.get(f"/dossiers/{code}/documents/result.pdf", "lanhdao")
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "render-failed" and body["reason"] == "time-limit"
    assert body["message_vi"] == "Dựng văn bản PDF quá thời gian cho phép."
