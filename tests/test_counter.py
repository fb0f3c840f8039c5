"""The counter (both databases): a walk-in or postal dossier registered with the papers handed in, received when
complete and given the written guidance (form 02) when not; the applicant look-up and the data reused; how the
result is wanted, on every channel; the receipt's contents; and the counter's pages through the test client."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.dossiers.models import Attachment, Dossier
from engine.store.models import AuditEntry

from .conftest import Api
from .test_flow import PATHS
from .test_officer_pages import add_officer, signed_in

HKD, GPXD = "ho-kinh-doanh", "gpxd-nha-o"
PERSON = {"name": "Nguyễn Thị Minh Anh", "id_number": "096188001234", "phone": "0912345678",
          "address": "Số 12 đường Lý Thường Kiệt, phường An Xuyên"}
FIRM = {"kind": "business", "name": "Công ty TNHH Đồng Tiến", "tax_code": "2000123456-001",
        "representative": "Lê Văn Bé", "phone": "0290381234", "address": "Khóm 5, phường An Xuyên"}
ALL_PAPERS = [{"code": "giay-de-nghi", "kind": "original", "quantity": 1},
              {"code": "giay-to-phap-ly-ca-nhan", "kind": "certified_copy", "quantity": 2}]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def counter_app(app_factory: Any, tmp_path: Path) -> Flask:
    return app_factory(upload_dir=tmp_path / "uploads", upload_max_bytes=4096)


@pytest.fixture
def api(counter_app: Flask) -> Api:
    return Api(counter_app.test_client())


def register(api: Api, user: str = "tiepnhan", **body: Any) -> Any:
    return api.post("/dossiers", user, json={"procedure": HKD, "applicant": PERSON, "data": PATHS[HKD]["start"],
                                             **body})


def stored(app: Flask, code: str) -> Dossier:
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.query(Dossier).filter_by(code=code).one()
        session.expunge(dossier)
        return dossier


# --- registration and receipt -------------------------------------------------------------------------
def test_a_complete_walk_in_is_received_and_its_receipt_lists_the_papers(counter_app: Flask, api: Api) -> None:
    assert api.call("PUT", "/units/CM-AX", "quantri", json={
        "name": "Trung tâm Phục vụ hành chính công phường An Xuyên", "level": "commune", "parent_code": "CM",
        "authority": "Ủy ban nhân dân phường An Xuyên"}).status_code == 200
    resp = register(api, documents=ALL_PAPERS, result_delivery="post")
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["status"] == "received" and created["result_delivery"] == "post"
    assert created["missing_documents"] is None and created["pin"]
    dossier = api.get(f"/dossiers/{created['code']}", "tiepnhan").get_json()
    assert [(d["code"], d["kind"], d["quantity"]) for d in dossier["received_documents"]] == [
        ("giay-de-nghi", "original", 1), ("giay-to-phap-ly-ca-nhan", "certified_copy", 2)]
    assert dossier["result_delivery"] == "post" and dossier["channel"] == "counter"
    received = next(e for e in dossier["history"] if e["action"] == "received")
    assert [d["code"] for d in received["detail"]["documents"]] == ["giay-de-nghi", "giay-to-phap-ly-ca-nhan"]

    receipt = api.client.get(f"/api/v1/dossiers/{created['code']}/documents/receipt", base_url="http://mc.vn:8443",
                             headers={"Authorization": f"Bearer {api.token('tiepnhan')}"}).get_data(as_text=True)
    rows = re.findall(r"<tr data-received-document>(.*?)</tr>", receipt, re.S)
    assert len(rows) == 2  # the papers received, not the procedure's whole list of five
    assert "Giấy đề nghị đăng ký hộ kinh doanh" in rows[0] and "Bản chính" in rows[0] and ">01<" in rows[0]
    assert "Bản sao chứng thực" in rows[1] and ">02<" in rows[1]
    assert "Cơ quan giải quyết: Ủy ban nhân dân phường An Xuyên" in receipt  # the authority, not the center
    # the place before the date is the commune's name (Decree 30/2020), not the centre's
    assert re.search(r'class="place-date">\s*An Xuyên, ngày', receipt), receipt[:3000]
    assert "Qua dịch vụ bưu chính công ích" in receipt and PERSON["address"] in receipt
    assert f"http://mc.vn:8443/track?code={created['code']}" in receipt  # the address the request came to


def test_the_configured_public_address_wins_over_the_requests(app_factory: Any) -> None:
    api = Api(app_factory(public_url="https://motcua.camau.gov.vn").test_client())
    code = register(api, documents=ALL_PAPERS).get_json()["code"]
    receipt = api.get(f"/dossiers/{code}/documents/receipt", "tiepnhan").get_data(as_text=True)
    assert f"https://motcua.camau.gov.vn/track?code={code}" in receipt and "localhost" not in receipt


def test_an_incomplete_dossier_gets_the_guidance_instead_of_a_receipt(counter_app: Flask, api: Api) -> None:
    resp = register(api, documents=[{"code": "giay-to-phap-ly-ca-nhan", "kind": "copy", "quantity": 1}],
                    missing=["Chữ ký của chủ hộ trên giấy đề nghị"], guidance="Mang bản chính khi nộp lại.",
                    channel="postal", result_delivery="counter")
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    code = created["code"]
    assert created["status"] == "registered" and created["received_at"] is None and created["due_at"] is None
    assert created["missing_documents"] == ["Giấy đề nghị đăng ký hộ kinh doanh",
                                            "Chữ ký của chủ hộ trên giấy đề nghị"]
    dossier = stored(counter_app, code)
    assert dossier.missing_documents == created["missing_documents"] and dossier.channel == "postal"
    assert dossier.state is None  # no workflow: the legal clock has not started
    with counter_app.extensions["motcua"].session_factory() as session:
        guided = session.query(AuditEntry).filter_by(action="guided", entity_id=code).one()
        assert guided.detail["guidance"] == "Mang bản chính khi nộp lại."
    guidance = api.get(f"/dossiers/{code}/documents/supplement-request", "tiepnhan").get_data(as_text=True)
    assert "Giấy đề nghị đăng ký hộ kinh doanh" in guidance and "Mang bản chính khi nộp lại." in guidance
    assert "Hồ sơ chưa được tiếp nhận" in guidance and "Tiepnhan" in guidance  # the officer who guided

    # the applicant comes back with the rest: received, the papers of both visits on the receipt
    back = api.post(f"/dossiers/{code}/actions/receive", "tiepnhan", json={"documents": ["giay-de-nghi"]})
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["status"] == "received"
    assert [d["code"] for d in back.get_json()["received_documents"]] == ["giay-to-phap-ly-ca-nhan",
                                                                          "giay-de-nghi"]
    receipt = api.get(f"/dossiers/{code}/documents/receipt", "tiepnhan").get_data(as_text=True)
    assert len(re.findall(r"<tr data-received-document>", receipt)) == 2


def test_the_refusal_carries_the_officers_name(api: Api) -> None:
    code = register(api, channel="postal").get_json()["code"]  # by post, no papers recorded: it waits
    refused = api.post(f"/dossiers/{code}/actions/refuse", "tiepnhan", json={"reasons": ["Không thuộc thẩm quyền"]})
    assert refused.status_code == 200
    form = api.get(f"/dossiers/{code}/documents/refusal", "tiepnhan").get_data(as_text=True)
    assert '<div class="sign-name">Tiepnhan</div>' in form and "Không thuộc thẩm quyền" in form


# --- look-up and reuse ------------------------------------------------------------------------------------
def test_the_look_up_offers_the_newest_dossiers_data_and_the_reuse_is_recorded(counter_app: Flask, api: Api
                                                                                 ) -> None:
    first = register(api, applicant={**PERSON, "phone": "0900000001"}).get_json()["code"]
    newest = register(api, applicant={**PERSON, "email": "minhanh@example.vn"}).get_json()["code"]
    found = api.get(f"/applicants/{PERSON['id_number']}", "tiepnhan")
    assert found.status_code == 200, found.get_json()
    known = found.get_json()["found"]
    assert [k["source"] for k in known] == ["motcua"] and known[0]["dossier"] == newest != first
    # the newest dossier's data win; the personal id is the question, not data offered for reuse
    offered = {k: v for k, v in PERSON.items() if k != "id_number"}
    assert known[0]["fields"] == {**offered, "email": "minhanh@example.vn"}

    reused = register(api, applicant={**PERSON, "email": "minhanh@example.vn"}, documents=ALL_PAPERS,
                      reused_fields=["name", "phone", "email", "address"])
    assert reused.status_code == 201, reused.get_json()
    code = reused.get_json()["code"]
    assert stored(counter_app, code).reused_fields == ["name", "phone", "email", "address"]
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["reused_fields"] == ["name", "phone", "email",
                                                                                    "address"]
    # said to be reused but typed otherwise: refused, so that the "data reused" figure stays true
    changed = register(api, applicant={**PERSON, "phone": "0999999999"}, reused_fields=["phone"])
    assert changed.status_code == 422 and set(changed.get_json()["errors"]) == {"reused_fields"}
    for bad in (["pin"], [1], "phone"):
        assert register(api, reused_fields=bad).status_code == 422


def test_a_business_is_looked_up_by_its_tax_code(counter_app: Flask, api: Api) -> None:
    resp = register(api, applicant=FIRM, documents=ALL_PAPERS)
    assert resp.status_code == 201, resp.get_json()
    dossier = stored(counter_app, resp.get_json()["code"])
    assert (dossier.applicant_kind, dossier.applicant_key) == ("business", FIRM["tax_code"])
    known = api.get(f"/applicants/{FIRM['tax_code']}", "tiepnhan").get_json()["found"][0]
    assert known["kind"] == "business" and known["fields"]["representative"] == "Lê Văn Bé"
    receipt = api.get(f"/dossiers/{dossier.code}/documents/receipt", "tiepnhan").get_data(as_text=True)
    assert "Mã số thuế: 2000123456-001" in receipt and "Người đại diện: Lê Văn Bé" in receipt


def test_the_look_up_is_for_reception_officers_of_the_units_only(counter_app: Flask, api: Api) -> None:
    register(api)  # known at CM-AX
    add_officer(counter_app, "tiepnhan_tt", [("CM-TT", "reception")])
    add_officer(counter_app, "tiepnhan_tinh", [("CM", "reception")])
    key = PERSON["id_number"]
    assert api.get(f"/applicants/{key}", "tiepnhan_tt").status_code == 404  # another commune: as if unknown
    assert api.get("/applicants/096000000000", "tiepnhan_tt").status_code == 404
    assert api.get(f"/applicants/{key}", "tiepnhan_tinh").status_code == 200  # the province covers its communes
    for user in ("chuyenvien", "lanhdao", "quantri"):
        assert api.get(f"/applicants/{key}", user).status_code == 403
    assert api.get(f"/applicants/{key}").status_code == 401
    for bad in ("12345", "0961880012345", "abc", "%00", "1" * 300):
        resp = api.get(f"/applicants/{bad}", "tiepnhan")
        assert resp.status_code in (400, 404, 422) and resp.mimetype == "application/problem+json", bad


# --- applicant kinds and result delivery ---------------------------------------------------------------
@pytest.mark.parametrize("applicant, field", [
    ({"kind": "business", "name": "Công ty A"}, "tax_code"),
    ({**FIRM, "tax_code": "12345"}, "tax_code"),
    ({**PERSON, "tax_code": "2000123456"}, "tax_code"),
    ({**PERSON, "id_number": "09618800123"}, "id_number"),
    ({**PERSON, "kind": "robot"}, "kind"),
])
def test_an_applicant_is_a_person_or_a_business(api: Api, applicant: dict[str, Any], field: str) -> None:
    resp = register(api, applicant=applicant)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]["applicant"], resp.get_json()


def test_a_person_at_the_counter_with_papers_gives_the_personal_id(api: Api) -> None:
    without = {k: v for k, v in PERSON.items() if k != "id_number"}
    resp = register(api, applicant=without, documents=ALL_PAPERS)
    assert resp.status_code == 422 and "id_number" in resp.get_json()["errors"]["applicant"]


def test_result_delivery_is_recorded_on_every_channel(counter_app: Flask, api: Api) -> None:
    counter = register(api, result_delivery="counter", documents=ALL_PAPERS).get_json()["code"]
    postal = register(api, result_delivery="post", channel="postal").get_json()["code"]
    submission = {"procedure": HKD, "applicant": {**PERSON, "email": "a@example.vn"}, "competent_unit": "CM-AX",
                  "data": PATHS[HKD]["start"], "result_delivery": "electronic"}
    online = api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data", data={
        "submission": json.dumps(submission), "file:giay-de-nghi": (io.BytesIO(PDF), "don.pdf")})
    assert online.status_code == 201, online.get_json()
    assert online.get_json()["result_delivery"] == "electronic"
    wanted = {code: stored(counter_app, code).result_delivery for code in (counter, postal, online.get_json()["code"])}
    assert list(wanted.values()) == ["counter", "post", "electronic"]
    assert api.get(f"/dossiers/{postal}", "tiepnhan").get_json()["result_delivery"] == "post"
    assert register(api, result_delivery="pigeon").status_code == 422
    bad = api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data", data={
        "submission": json.dumps({**submission, "result_delivery": "pigeon"})})
    assert bad.status_code == 422 and "result_delivery" in bad.get_json()["errors"]
    firm_online = api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data", data={
        "submission": json.dumps({**submission, "applicant": FIRM}), "file:giay-de-nghi": (io.BytesIO(PDF), "a.pdf")})
    assert firm_online.status_code == 201, firm_online.get_json()
    assert stored(counter_app, firm_online.get_json()["code"]).applicant_key == FIRM["tax_code"]


@pytest.mark.parametrize("documents", [
    [{"code": "khong-co", "kind": "copy", "quantity": 1}],
    [{"code": "giay-de-nghi", "kind": "photocopy", "quantity": 1}],
    [{"code": "giay-de-nghi", "kind": "copy", "quantity": 0}],
    [{"code": "giay-de-nghi", "kind": "copy", "quantity": 10 ** 12}],
    [{"code": "giay-de-nghi", "kind": "copy", "quantity": "2"}],
    [{"code": "giay-de-nghi", "kind": "copy"}, {"code": "giay-de-nghi", "kind": "original"}],
    [{"code": "giay-de-nghi"}],
    ["giay-de-nghi"],
    [{"code": "giay-de-nghi", "kind": "copy", "extra": 1}],
])
def test_hostile_papers_are_422_and_register_nothing(counter_app: Flask, api: Api, documents: Any) -> None:
    resp = register(api, documents=documents)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    with counter_app.extensions["motcua"].session_factory() as session:
        assert session.query(Dossier).count() == 0


def test_hostile_guidance_is_422(api: Api) -> None:
    assert register(api, documents=[], missing=["x" * 1001]).status_code == 422
    assert register(api, documents=[], missing=["a"] * 21).status_code == 422
    assert register(api, documents=[], guidance="x" * 4001).status_code == 422
    assert register(api, documents=[], channel="online").status_code == 422  # papers are handed in, not sent


# --- the pages --------------------------------------------------------------------------------------------
def page_form(token: str, **extra: Any) -> dict[str, Any]:
    form = {"csrf_token": token, "token": "t-1", "channel": "counter", "competent_unit": "CM-AX",
            "applicant_kind": "person", "result_delivery": "counter", "data": json.dumps(PATHS[HKD]["start"]),
            **{f"applicant_{k}": v for k, v in PERSON.items()},
            "doc_giay-de-nghi": "on", "kind_giay-de-nghi": "original", "qty_giay-de-nghi": "1"}
    form.update(extra)
    return form


def test_the_counter_pages_register_a_walk_in_with_a_scan(counter_app: Flask) -> None:
    client, token = signed_in(counter_app, "tiepnhan")
    search = client.get("/counter?q=ho kinh DOANH").get_data(as_text=True)  # no diacritics, any case
    assert re.search(r'data-procedure="ho-kinh-doanh" data-search="[^"]*" >', search)
    assert re.search(r'data-procedure="gpxd-nha-o" data-search="[^"]*" hidden', search)
    page = client.get("/counter/ho-kinh-doanh")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'capture="environment"' in html and 'name="file:giay-de-nghi"' in html

    resp = client.post("/counter/ho-kinh-doanh", content_type="multipart/form-data", data=page_form(
        token, **{"file:giay-de-nghi": (io.BytesIO(PDF), "don-de-nghi.pdf")}))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    code = resp.headers["Location"].rsplit("/", 1)[-1]
    dossier = stored(counter_app, code)
    assert dossier.status == "received" and dossier.result_delivery == "counter"
    with counter_app.extensions["motcua"].session_factory() as session:
        scans = session.query(Attachment).filter_by(dossier_id=dossier.id).all()
        assert [(a.document, a.file_name, a.content_type) for a in scans] == [
            ("giay-de-nghi", "don-de-nghi.pdf", "application/pdf")]
    done = client.get(f"/counter/done/{code}").get_data(as_text=True)
    pin = re.search(r"data-pin>(\d+)<", done)
    assert pin and 'data-print-document="receipt"' in done
    printed = client.get(f"/counter/done/{code}/print")
    assert "script-src 'unsafe-hashes' 'sha256-" in printed.headers["Content-Security-Policy"]
    text = printed.get_data(as_text=True)
    assert pin.group(1) in text and "Giấy đề nghị đăng ký hộ kinh doanh" in text and code in text
    shown = client.get(f"/dossiers/{code}").get_data(as_text=True)  # the dossier page shows what was recorded
    assert 'data-result-delivery="counter"' in shown and 'data-received-document="giay-de-nghi"' in shown
    again = client.post("/counter/ho-kinh-doanh", data=page_form(token))  # the same form again (a double click)
    assert again.status_code == 302 and again.headers["Location"].endswith(code)


def test_the_counter_page_keeps_what_was_typed_and_says_what_is_wrong(counter_app: Flask) -> None:
    client, token = signed_in(counter_app, "tiepnhan")
    resp = client.post("/counter/ho-kinh-doanh", content_type="multipart/form-data", data=page_form(
        token, applicant_id_number="123", **{"qty_giay-de-nghi": "0", "file:giay-de-nghi": (io.BytesIO(EXE), "x.exe"),
                                             "file:bien-ban-hop-thanh-vien": (io.BytesIO(PDF), "b.pdf")}))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Cần đúng 12 chữ số." in html and "Số lượng từ 1 đến 99." in html
    assert "Hãy đánh dấu giấy tờ đã nhận trước khi đính kèm bản quét." in html  # a scan of a paper not ticked
    assert 'value="Nguyễn Thị Minh Anh"' in html  # kept
    with counter_app.extensions["motcua"].session_factory() as session:
        assert session.query(Dossier).count() == 0
    bad = client.post("/counter/ho-kinh-doanh", data=page_form(token, data="{not json"))
    assert bad.status_code == 400
    assert client.post("/counter/khong-co", data=page_form(token)).status_code == 404
    specialist, _ = signed_in(counter_app, "chuyenvien")
    assert specialist.get("/counter").status_code == 403
    assert specialist.get("/counter/ho-kinh-doanh").status_code == 403


def test_a_guided_walk_in_prints_form_02(counter_app: Flask) -> None:
    client, token = signed_in(counter_app, "tiepnhan")
    form = page_form(token, missing="Bản sao sổ hộ khẩu", guidance="Nộp lại trong tuần.")
    del form["doc_giay-de-nghi"]
    resp = client.post("/counter/ho-kinh-doanh", data=form)
    code = resp.headers["Location"].rsplit("/", 1)[-1]
    assert stored(counter_app, code).status == "registered"
    done = client.get(f"/counter/done/{code}").get_data(as_text=True)
    assert 'data-received="false"' in done and 'data-print-document="supplement-request"' in done
    assert "Bản sao sổ hộ khẩu" in client.get(f"/dossiers/{code}").get_data(as_text=True)
    printed = client.get(f"/counter/done/{code}/print").get_data(as_text=True)
    assert "PHIẾU YÊU CẦU BỔ SUNG" in printed and "Bản sao sổ hộ khẩu" in printed and "Nộp lại trong tuần." in printed
