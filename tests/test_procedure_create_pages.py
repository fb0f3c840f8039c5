"""The designer's pages for a procedure from nothing: the "New procedure" form (template or BPMN upload), the
"Legal facts" form (per-channel times and fees, document rows), export and import. Refused input comes back as
the form with its errors in Vietnamese, never a 5xx, and stores nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from engine.procedures.archive import read_archive
from engine.procedures.models import Procedure, ProcedureVersion

from .test_officer_pages import signed_in

ROOT = Path(__file__).resolve().parent.parent
CODE = "cap-xac-nhan"
FORM = {"code": CODE, "name_vi": "Cấp xác nhận thử", "name_en": "Trial confirmation", "level": "commune",
        "authority_vi": "UBND cấp xã", "authority_en": "Commune People's Committee", "legal_time": "4",
        "legal_unit": "working_days", "legal_source": "Điều 3", "share_receive": "10", "share_appraise": "60",
        "share_approve": "20", "share_return": "10"}


def post(client: FlaskClient, token: str, path: str, data: dict[str, Any], **kw: Any) -> Any:
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def versions(app: Flask, code: str) -> list[ProcedureVersion]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.query(ProcedureVersion).filter_by(procedure_code=code).order_by(ProcedureVersion.number))


def form_values(page: str) -> dict[str, str]:
    """What the legal-facts form sends as it is shown (inputs, chosen options, text areas)."""
    form = lxml.html.fromstring(page).xpath("//form[@data-form='legal-facts']")[0]
    return {k: v for k, v in form.form_values() if k != "csrf_token"}


def test_new_procedure_from_the_template_then_its_legal_facts(app: Flask) -> None:
    client, token = signed_in(app, "quantri")
    listing = client.get("/designer/").get_data(as_text=True)
    assert 'data-action="new-procedure"' in listing and 'data-action="import"' in listing
    assert client.get("/designer/new").status_code == 200
    resp = post(client, token, "/designer/new", FORM)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert resp.headers["Location"].endswith(f"/designer/{CODE}/versions/1/legal")
    page = client.get(f"/designer/{CODE}/versions/1/legal").get_data(as_text=True)
    assert 'name="doc-0-code" value="don-de-nghi"' in page
    assert client.get(f"/designer/{CODE}/versions/1").status_code == 200  # opens in the modeler
    facts = {"name_vi": "Cấp xác nhận thử", "name_en": "Trial confirmation", "national_code": "2.000123",
             "level": "commune", "authority_vi": "UBND cấp xã", "authority_en": "Commune PC",
             "legal_value": "4", "legal_unit": "working_days", "legal_cutoff": "", "legal_source": "Điều 3",
             "fee_amount": "30000", "fee_note": "", "online_value": "2", "online_unit": "working_days",
             "online_fee": "15000", "postal_value": "", "counter_value": "", "result": "Giấy xác nhận",
             "doc-0-code": "don-de-nghi", "doc-0-name": "Đơn đề nghị", "doc-0-copies": "1", "doc-0-kind": "original",
             "doc-0-required": "yes", "doc-1-code": "ban-sao-cccd", "doc-1-name": "Bản sao căn cước",
             "doc-1-copies": "2", "doc-1-kind": "certified_copy", "doc-1-required": "no",
             "doc-1-condition": "Khi không khai thác được dữ liệu dân cư", "doc-1-form": "mau-02.docx",
             "doc-2-code": "", "doc-2-name": "", "doc-2-copies": "1",
             "src-0-number": "118/2025/NĐ-CP", "src-0-title": "Nghị định về cơ chế một cửa", "src-1-title": ""}
    saved = post(client, token, f"/designer/{CODE}/versions/1/legal", facts)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    number = int(re.search(r"/versions/(\d+)/legal", saved.headers["Location"]).group(1))
    meta = versions(app, CODE)[-1].meta
    assert versions(app, CODE)[-1].number == number == 1  # the open draft, edited in place
    assert meta["national_code"] == "2.000123" and meta["fee"]["amount"] == 30000
    assert meta["channels"] == {"online": {"legal_time": {"value": 2, "unit": "working_days"},
                                           "fee": {"amount": 15000, "note": ""}}}
    assert [d["code"] for d in meta["documents"]] == ["don-de-nghi", "ban-sao-cccd"]
    assert meta["documents"][1]["kind"] == "certified_copy" and not meta["documents"][1]["required"]
    assert meta["legal_source"]["documents"] == [{"number": "118/2025/NĐ-CP", "title": "Nghị định về cơ chế một cửa"}]
    # a row removed
    removed = post(client, token, f"/designer/{CODE}/versions/{number}/legal", {**facts, "doc-1-remove": "1"})
    assert removed.status_code == 302
    assert [d["code"] for d in versions(app, CODE)[-1].meta["documents"]] == ["don-de-nghi"]
    # bad values: the form again with its errors, nothing stored
    count = len(versions(app, CODE))
    for bad, field in [({"fee_amount": "ba mươi"}, "fee_amount"), ({"national_code": "abc"}, "national_code"),
                       ({"online_cutoff": "25:00"}, "online_cutoff"), ({"doc-1-code": "Có Dấu"}, "documents.1.code"),
                       ({"doc-1-copies": "0"}, "documents.1.copies")]:
        resp = post(client, token, f"/designer/{CODE}/versions/{number}/legal", {**facts, **bad})
        assert resp.status_code in (400, 422), (bad, resp.status_code)
        assert f'data-error-for="{field}"' in resp.get_data(as_text=True), bad
    assert len(versions(app, CODE)) == count
    # export from the page: the same content as stored
    zipped = client.get(f"/designer/{CODE}/versions/{number}/export")
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    assert read_archive(zipped.get_data()).content_hash == versions(app, CODE)[-1].content_hash


def test_refused_creations_show_the_form(app: Flask) -> None:
    client, token = signed_in(app, "quantri")
    cases = [({"code": "Sai Mã"}, "code", 400), ({"legal_time": "năm"}, "legal_time", 400),
             ({"share_appraise": "95"}, "shares", 400), ({"code": "ho-kinh-doanh"}, "code", 409)]
    for change, field, status in cases:
        resp = post(client, token, "/designer/new", {**FORM, **change})
        assert resp.status_code == status, (change, resp.status_code)
        assert f'data-error-for="{field}"' in resp.get_data(as_text=True)
    bad_bpmn = post(client, token, "/designer/new", {**FORM, "bpmn": (io.BytesIO(b"<nope"), "x.bpmn")},
                    content_type="multipart/form-data")
    assert bad_bpmn.status_code == 422 and 'data-error-for="bpmn"' in bad_bpmn.get_data(as_text=True)
    with app.extensions["motcua"].session_factory() as session:
        assert session.get(Procedure, CODE) is None


def test_new_procedure_from_an_uploaded_bpmn(app: Flask) -> None:
    client, token = signed_in(app, "quantri")
    bpmn = (ROOT / "processes" / "ho-kinh-doanh" / "process.bpmn").read_bytes()
    resp = post(client, token, "/designer/new", {**FORM, "bpmn": (io.BytesIO(bpmn), "hkd.bpmn")},
                content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert versions(app, CODE)[0].process_id == "ho_kinh_doanh"


def test_import_page(app: Flask) -> None:
    client, token = signed_in(app, "quantri")
    assert client.get("/designer/import").status_code == 200
    exported = client.get("/designer/ho-kinh-doanh/versions/1/export").get_data()
    ok = post(client, token, "/designer/import", {"archive": (io.BytesIO(exported), "hkd.zip")},
              content_type="multipart/form-data")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/designer/ho-kinh-doanh/versions/1")
    bad = post(client, token, "/designer/import", {"archive": (io.BytesIO(b"PK junk"), "x.zip")},
               content_type="multipart/form-data")
    assert bad.status_code == 422 and "Đây không phải tệp .zip." in bad.get_data(as_text=True)
    none = post(client, token, "/designer/import", {})
    assert none.status_code == 400


def test_officers_do_not_see_these_pages(app: Flask) -> None:
    client, _token = signed_in(app, "chuyenvien")
    for path in ("/designer/new", "/designer/import", "/designer/ho-kinh-doanh/versions/1/legal"):
        assert client.get(path).status_code in (403, 404)


def test_legal_facts_never_overwrite_another_draft(app: Flask) -> None:
    """Facts written from the published version while a draft is open, or over a draft that someone saved since
    the form was opened, are refused (409) and the draft keeps its content."""
    client, token = signed_in(app, "quantri")
    hkd = "ho-kinh-doanh"
    facts = form_values(client.get(f"/designer/{hkd}/versions/1/legal").get_data(as_text=True))
    opened = facts.pop("base_hash")
    first = post(client, token, f"/designer/{hkd}/versions/1/legal", {**facts, "base_hash": opened})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/designer/{hkd}/versions/2/legal")
    draft = versions(app, hkd)[-1]
    assert draft.number == 2 and draft.meta["fee"]["amount"] == 100000
    # the published version's form again, now that draft 2 is open: refused, draft 2 unchanged
    again = post(client, token, f"/designer/{hkd}/versions/1/legal", {**facts, "fee_amount": "5000"})
    assert again.status_code == 409 and "bản nháp 2" in again.get_data(as_text=True)
    # draft 2's form opened before someone else saved it: refused too
    stale = post(client, token, f"/designer/{hkd}/versions/2/legal",
                 {**facts, "fee_amount": "7000", "base_hash": opened})
    assert stale.status_code == 409
    after = versions(app, hkd)
    assert [v.number for v in after] == [1, 2] and after[-1].content_hash == draft.content_hash
    # the API says the same, as problem+json
    api = client.put(f"/api/v1/procedures/{hkd}/versions/1/metadata", json={"fee": {"amount": 1}},
                     headers={"X-CSRF-Token": token})
    assert api.status_code == 409 and api.get_json()["code"] == "draft-changed"
