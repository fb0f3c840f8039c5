"""A procedure from nothing through the API: created from the one-stop template (or a BPMN file from another
modeler), its legal facts edited as data, published and submitted to; refused input is a 4xx, never a 5xx,
and leaves nothing behind."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.procedures.models import Procedure
from engine.reform.creation import budgets, load_template
from engine.store.models import AuditEntry

from .conftest import Api, FakeClock

ROOT = Path(__file__).resolve().parent.parent
CODE = "xac-nhan-thu"
NEW = {"code": CODE, "name_vi": "Xác nhận thử nghiệm", "name_en": "Trial certification", "level": "commune",
       "authority_vi": "Ủy ban nhân dân cấp xã", "authority_en": "Commune People's Committee", "legal_time": 5,
       "legal_unit": "working_days", "legal_source": "Điều 5 Nghị định 118/2025/NĐ-CP"}
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001099012345", "phone": "0912345678",
             "address": "Ấp Tân Phong, xã Tân Thành, tỉnh Cà Mau"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock) -> Flask:
    return app_factory(clock=clock)


def create(api: Api, **changes: Any) -> Any:
    return api.post("/procedures", "quantri", json={**NEW, **changes})


def audit_actions(app: Flask, code: str) -> list[str]:
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "procedure",
                                                                    AuditEntry.entity_id == code)
                                    .order_by(AuditEntry.id)))


def test_budgets_split_the_legal_time_by_the_shares() -> None:
    template = load_template()
    assert budgets(template, 5, "working_days") == {"receive": "PT4H", "appraise": "PT24H", "approve": "PT8H",
                                                    "return": "PT4H"}
    assert budgets(template, 3, "working_hours", {"receive": 0.25, "appraise": 0.5, "approve": 0.125,
                                                   "return": 0.125}) == {
        "receive": "PT45M", "appraise": "PT1H30M", "approve": "PT22M", "return": "PT22M"}


def test_created_from_the_template_is_a_clean_draft_that_opens_in_the_modeler(app: Flask, api: Api) -> None:
    resp = create(api, shares={"receive": 0.1, "appraise": 0.5, "approve": 0.3, "return": 0.1})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["code"] == CODE and body["version"]["number"] == 1 and body["version"]["status"] == "draft"
    assert [p for p in body["problems"] if p["severity"] == "error"] == []
    package = api.get(f"/procedures/{CODE}/versions/1/package", "quantri").get_json()
    bpmn = package["files"]["process.bpmn"]
    assert 'name="timeBudget" value="PT20H"' in bpmn  # appraise: 50% of 5 days of 8 hours
    assert 'name="timeBudget" value="PT12H"' in bpmn  # approve: 30%
    assert 'lane id="Lane_leader" name="leader"' in bpmn
    assert sorted(package["forms"]) == [f"{CODE}-{n}" for n in
                                        ("nop-ho-so", "phe-duyet", "tham-dinh", "tiep-nhan", "tra-ket-qua")]
    assert audit_actions(app, CODE) == ["procedure_created", "draft_saved"]
    # not in the public catalogue until published
    assert api.get(f"/procedures/{CODE}").status_code == 404
    assert create(api).status_code == 409


@pytest.mark.parametrize("changes, field", [
    ({"code": "Có Dấu"}, "code"), ({"code": "import"}, "code"), ({"legal_time": 0}, "legal_time"),
    ({"level": "nation"}, "level"), ({"shares": {"appraise": 0.9, "approve": 0.3}}, "shares"),
    ({"shares": {"khac": 0.1}}, "shares"), ({"template": "khong-co"}, "template"), ({"extra": 1}, "extra"),
])
def test_invalid_requests_are_refused_and_store_nothing(app: Flask, api: Api, changes: dict[str, Any],
                                                       field: str) -> None:
    resp = create(api, **changes)
    assert resp.status_code == 422, resp.get_json()
    assert field in str(resp.get_json())
    code = changes.get("code", CODE)
    with app.extensions["motcua"].session_factory() as session:
        assert session.get(Procedure, code) is None


def test_only_reformers_create(api: Api) -> None:
    assert api.post("/procedures", "chuyenvien", json=NEW).status_code == 403
    assert api.post("/procedures", json=NEW).status_code == 401


def test_from_a_bpmn_made_elsewhere(app: Flask, api: Api) -> None:
    bpmn = (ROOT / "processes" / "ho-kinh-doanh" / "process.bpmn").read_text("utf-8")
    resp = create(api, code="tu-so-do-khac", bpmn=bpmn)
    assert resp.status_code == 201, resp.get_json()
    package = api.get("/procedures/tu-so-do-khac/versions/1/package", "quantri").get_json()
    assert package["process_id"] == "ho_kinh_doanh"
    # every form the diagram names starts blank, so that the draft is stored and opens in the form editor
    assert sorted(package["forms"]) == ["hkd-nhan-ket-qua", "hkd-nop-ho-so", "hkd-phe-duyet", "hkd-tham-dinh"]
    refused = create(api, code="khong-phai-xml", bpmn="<bpmn:definitions")
    assert refused.status_code == 422
    hostile = create(api, code="co-doctype", bpmn='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert hostile.status_code == 422
    assert "DOCTYPE" in str(hostile.get_json())


FACTS = {
    "name": {"vi": "Xác nhận thử nghiệm (sửa)", "en": "Trial certification (edited)"},
    "national_code": "1.001612",
    "fee": {"amount": 50000, "currency": "VND", "note": "Lệ phí"},
    "channels": {"online": {"legal_time": {"value": 3, "unit": "working_days"}, "fee": {"amount": 25000}},
                 "postal": {"legal_time": {"value": 16, "unit": "working_hours", "cutoff": "15:00"}}},
    "documents": [
        {"code": "don-de-nghi", "name": "Đơn đề nghị", "copies": 1, "kind": "original", "required": True,
         "form": "https://dichvucong.gov.vn/mau-don.docx"},
        {"code": "giay-uy-quyen", "name": "Giấy ủy quyền", "copies": 1, "kind": "certified_copy", "required": False,
         "condition": "Khi người nộp không phải người đề nghị"},
    ],
    "legal_source": {"documents": [{"number": "118/2025/NĐ-CP", "title": "Nghị định về cơ chế một cửa"}]},
}


def test_legal_facts_are_saved_as_a_draft_and_read_back(app: Flask, api: Api) -> None:
    assert create(api).status_code == 201
    resp = api.call("PUT", f"/procedures/{CODE}/versions/1/metadata", "quantri", json={**FACTS, "note": "Sửa"})
    assert resp.status_code == 200, resp.get_json()
    number = resp.get_json()["version"]["number"]
    assert [p for p in resp.get_json()["problems"] if p["severity"] == "error"] == []
    facts = api.get(f"/procedures/{CODE}/versions/{number}/metadata", "quantri").get_json()["facts"]
    assert facts["national_code"] == "1.001612"
    assert facts["channels"]["postal"]["legal_time"] == {"value": 16, "unit": "working_hours", "cutoff": "15:00"}
    assert facts["documents"][1]["kind"] == "certified_copy" and not facts["documents"][1]["original"]
    assert facts["documents"][1]["condition"].startswith("Khi")
    assert facts["legal_time"]["value"] == 5  # kept: not in the request
    toml = api.get(f"/procedures/{CODE}/versions/{number}/package", "quantri").get_json()["files"]["procedure.toml"]
    assert "[channels.online.legal_time]" in toml and 'process_id = "p_xac_nhan_thu"' in toml
    assert "legal_facts_saved" in audit_actions(app, CODE)


@pytest.mark.parametrize("facts, field", [
    ({"national_code": "MATTHC"}, "national_code"),
    ({"channels": {"fax": {"fee": {"amount": 1}}}}, "channels"),
    ({"channels": {"online": {"legal_time": {"value": -1, "unit": "working_days"}}}}, "channels"),
    ({"documents": [{"code": "a", "name": "x"}]}, "documents"),
    ({"documents": [{"code": "ok", "name": "x", "kind": "photo"}]}, "documents"),
    ({"fee": {"amount": "nhiều"}}, "fee"),
    ({"process_id": "x"}, "process_id"),
])
def test_invalid_legal_facts_are_a_422(api: Api, facts: dict[str, Any], field: str) -> None:
    assert create(api).status_code == 201
    resp = api.call("PUT", f"/procedures/{CODE}/versions/1/metadata", "quantri", json=facts)
    assert resp.status_code == 422, resp.get_json()
    assert field in str(resp.get_json())
    assert len(api.get(f"/procedures/{CODE}/versions", "quantri").get_json()["items"]) == 1


def test_due_date_and_fee_follow_the_dossier_channel(api: Api, clock: FakeClock) -> None:
    assert create(api).status_code == 201
    number = api.call("PUT", f"/procedures/{CODE}/versions/1/metadata", "quantri",
                      json=FACTS).get_json()["version"]["number"]
    published = api.post(f"/procedures/{CODE}/versions/{number}/publish", "quantri", json={"note": "Ban hành"})
    assert published.status_code == 200, published.get_json()
    clock.at("2026-03-02 16:00")  # a Monday, after the postal cut-off (15:00)
    data = {"noi_dung_de_nghi": "Đề nghị xác nhận"}
    counter = api.post("/dossiers", "tiepnhan", json={"procedure": CODE, "applicant": APPLICANT, "data": data,
                                                      "channel": "counter"}).get_json()
    postal = api.post("/dossiers", "tiepnhan", json={"procedure": CODE, "applicant": APPLICANT, "data": data,
                                                     "channel": "postal"}).get_json()
    received = api.post(f"/dossiers/{postal['code']}/actions/receive", "tiepnhan", json={})
    assert received.status_code == 200, received.get_json()
    counter_d = api.get(f"/dossiers/{counter['code']}", "tatca").get_json()
    postal_d = api.get(f"/dossiers/{postal['code']}", "tatca").get_json()
    # counter: the default, 5 working days -> Monday 9 March; postal: 16 working hours counted from Tuesday
    assert counter_d["due_at"].startswith("2026-03-09")
    assert postal_d["due_at"].startswith("2026-03-04")
    assert counter_d["fee_amount"] == 50000


def test_the_template_procedure_is_published_and_a_citizen_submits_online(app_factory: Any, clock: FakeClock,
                                                                          tmp_path: Path) -> None:
    api = Api(app_factory(clock=clock, upload_dir=tmp_path / "uploads").test_client())
    assert create(api).status_code == 201
    published = api.post(f"/procedures/{CODE}/versions/1/publish", "quantri", json={"note": "Ban hành"})
    assert published.status_code == 200, published.get_json()
    detail = api.get(f"/procedures/{CODE}").get_json()
    assert detail["start_form"] and [d["code"] for d in detail["documents"]] == ["don-de-nghi"]
    clock.at("2026-03-02 09:00")
    submission = {"procedure": CODE, "applicant": APPLICANT, "competent_unit": "CM-AX",
                  "data": {"noi_dung_de_nghi": "Đề nghị xác nhận"}}
    resp = api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data", data={
        "submission": json.dumps(submission), "file:don-de-nghi": (io.BytesIO(PDF), "don.pdf")})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    code = resp.get_json()["code"]
    received = api.post(f"/dossiers/{code}/actions/receive", "tiepnhan", json={})
    assert received.status_code == 200, received.get_json()
    task = api.get(f"/dossiers/{code}", "tatca").get_json()["open_tasks"][0]
    assert (task["bpmn_id"], task["role"]) == ("Task_TiepNhan", "reception")
