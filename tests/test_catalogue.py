"""The national procedure catalogue: the sample file's records imported as drafts (facts per channel, documents,
legal basis), re-imported unchanged (nothing) and changed (a new draft whose diff shows the cut deadline, the
removed document and the new fee), refused records with Vietnamese reasons, the API, the page and the command,
and hostile input answered with a 4xx."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.cli import main as cli_main
from engine.procedures.models import Procedure, ProcedureVersion
from engine.store.models import AuditEntry

from .conftest import Api
from .test_officer_pages import signed_in

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "config" / "catalogue" / "thu-tuc-cap-xa.json"
RECORDS: list[dict[str, Any]] = json.loads(SAMPLE.read_text("utf-8"))
HKD = "2.000720"  # household business registration: its online fee differs from the counter's
HKD_CODE = "tthc-2-000720"


@pytest.fixture
def app(app_factory: Any, tmp_path: Path) -> Flask:
    """No shipped procedure: every record of the sample is new."""
    empty = tmp_path / "processes"
    empty.mkdir()
    return app_factory(processes_dir=empty)


def record(national_code: str) -> dict[str, Any]:
    return copy.deepcopy(next(r for r in RECORDS if r["MATTHC"] == national_code))


def versions(app: Flask, code: str | None = None) -> list[ProcedureVersion]:
    with app.extensions["motcua"].session_factory() as session:
        query = select(ProcedureVersion).order_by(ProcedureVersion.procedure_code, ProcedureVersion.number)
        if code:
            query = query.where(ProcedureVersion.procedure_code == code)
        return list(session.scalars(query))


def imported(api: Api, records: Any, user: str = "quantri", **body: Any) -> dict[str, dict[str, Any]]:
    resp = api.post("/catalogue/imports", user, json={"records": records, **body})
    assert resp.status_code == 200, resp.get_json()
    return {r["national_code"]: r for r in resp.get_json()["results"]}


def test_the_sample_file_becomes_drafts_with_the_records_facts(app: Flask, api: Api) -> None:
    assert len(RECORDS) >= 20
    results = imported(api, RECORDS)
    assert len(results) == len(RECORDS) and {r["status"] for r in results.values()} == {"created"}
    rows = versions(app)
    assert len(rows) == len(RECORDS) and {(v.number, v.status) for v in rows} == {(1, "draft")}
    with app.extensions["motcua"].session_factory() as session:
        assert all(p.current_version_id is None for p in session.scalars(select(Procedure)))
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("catalogue%"))))
    assert actions.count("catalogue_imported") == len(RECORDS) and actions.count("catalogue_import") == 1
    out = results[HKD]
    assert out["code"] == HKD_CODE and out["legal_facts"] == f"/api/v1/procedures/{HKD_CODE}/versions/1/metadata"
    assert "MATTHC" in out["to_check"]  # written from memory: marked in the data, shown in the result
    facts = api.get(out["legal_facts"].removeprefix("/api/v1"), "quantri").get_json()["facts"]
    assert facts["national_code"] == HKD and facts["name"]["vi"] == "Đăng ký thành lập hộ kinh doanh"
    assert facts["field"] == {"code": "LINHVUC-HKD", "name": "Thành lập và hoạt động của hộ kinh doanh"}
    assert (facts["legal_time"]["value"], facts["legal_time"]["unit"]) == (3, "working_days")
    assert facts["fee"]["amount"] == 100000
    assert facts["channels"] == {"online": {"fee": {"amount": 50000, "note": record(HKD)["CACHTHUCTHUCHIEN"][1][
        "THOIGIAN"][0]["PHILEPHI"][0]["MOTA"]}}}
    docs = facts["documents"]
    assert [d["name"] for d in docs] == [g["TENGIAYTO"] for g in record(HKD)["THANHPHANHOSO"][0]["GIAYTO"]]
    assert [d["required"] for d in docs] == [True, False, False]  # "(trường hợp ...)": asked only in that case
    assert docs[1]["kind"] == "copy" and docs[0]["form"] == "Giấy đề nghị đăng ký hộ kinh doanh"
    assert {"number": "168/2025/NĐ-CP", "title": "Nghị định về đăng ký doanh nghiệp"} in \
        facts["legal_source"]["documents"]
    assert facts["result"]["name"] == "Giấy chứng nhận đăng ký hộ kinh doanh"
    # a plain "Ngày" is counted in working days (mapping.toml), as the shipped construction permit does
    permit = api.get(results["1.009994"]["legal_facts"].removeprefix("/api/v1"), "quantri").get_json()["facts"]
    assert (permit["legal_time"]["value"], permit["legal_time"]["unit"]) == (15, "working_days")
    # the diagram is the one-stop template's, and the submission form lists the documents to bring
    package = api.get(f"/procedures/{HKD_CODE}/versions/1/package", "quantri").get_json()
    assert "Task_ThamDinh" in package["files"]["process.bpmn"]
    texts = [c.get("text", "") for c in package["forms"][f"{HKD_CODE}-nop-ho-so"]["components"]]
    assert any("Thành phần hồ sơ" in t and docs[0]["name"] in t for t in texts)


def test_unchanged_records_make_nothing(app: Flask, api: Api) -> None:
    imported(api, RECORDS)
    before = [(v.procedure_code, v.number, v.content_hash) for v in versions(app)]
    again = imported(api, RECORDS)
    assert {r["status"] for r in again.values()} == {"unchanged"}
    assert [(v.procedure_code, v.number, v.content_hash) for v in versions(app)] == before


def test_a_changed_record_is_a_new_draft_one_click_from_its_diff(app: Flask, api: Api) -> None:
    imported(api, [record(HKD)])
    published = api.post(f"/procedures/{HKD_CODE}/versions/1/publish", "quantri", json={"note": "Ban hành"})
    assert published.status_code == 200, published.get_json()
    reform = record(HKD)
    online = reform["CACHTHUCTHUCHIEN"][1]["THOIGIAN"][0]
    online["THOIGIANGIAIQUYET"] = 2  # the deadline cut online
    removed = reform["THANHPHANHOSO"][0]["GIAYTO"].pop(2)  # a document no longer asked
    reform["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0]["SOTIEN"] = 80000  # the fee changed
    out = imported(api, [reform])[HKD]
    assert (out["status"], out["version"], out["diff_from"]) == ("new_draft", 2, 1)
    assert out["diff_page"] == f"/designer/{HKD_CODE}/diff?from=1&to=2"
    v1, v2 = versions(app, HKD_CODE)
    assert v2.status == "draft" and v2.files["process.bpmn"] == v1.files["process.bpmn"] and v2.forms == v1.forms
    change = api.get(f"/procedures/{HKD_CODE}/diff?from=1&to=2", "quantri").get_json()
    assert change["fee"] == {"from": 100000, "to": 80000}
    assert change["documents"]["removed"] == [removed["TENGIAYTO"]]
    assert change["channels"]["online"]["from"]["value"] == 3 and change["channels"]["online"]["to"]["value"] == 2
    client, _token = signed_in(app, "quantri")
    page = client.get(out["diff_page"]).get_data(as_text=True)
    assert removed["TENGIAYTO"] in page and ("80.000" in page or "80000" in page)
    # the same record again: nothing; another change while the draft is open: reported, not overwritten
    assert imported(api, [reform])[HKD]["status"] == "unchanged"
    reform["TENTTHC"] = "Đăng ký thành lập hộ kinh doanh (sửa đổi)"
    blocked = imported(api, [reform])[HKD]
    assert blocked["status"] == "draft_open" and "bản nháp 2" in blocked["reason_vi"]
    assert [v.number for v in versions(app, HKD_CODE)] == [1, 2] and versions(app, HKD_CODE)[1].content_hash == \
        v2.content_hash


@pytest.mark.parametrize(("change", "reason"), [
    (lambda r: r.pop("MATTHC"), "Thiếu mã thủ tục hành chính (MATTHC)."),
    (lambda r: r.update(MATTHC="1-001193"), "không đúng dạng"),
    (lambda r: r["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0].update(DONVITINH="Tháng"), "Đơn vị thời gian “Tháng”"),
    (lambda r: r["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0].update(THOIGIANGIAIQUYET="ba"), "không phải là số"),
    (lambda r: r["CACHTHUCTHUCHIEN"][0].update(KENH="9"), "Kênh nộp hồ sơ (KENH) “9”"),
    (lambda r: r.update(CANCUPHAPLY=[]), "Thiếu căn cứ pháp lý"),
    (lambda r: r["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0].update(SOTIEN=-5), "không âm"),
])
def test_unreadable_records_are_refused_with_a_reason_and_leave_nothing(app: Flask, api: Api, change: Any,
                                                                        reason: str) -> None:
    bad = record("1.001193")
    change(bad)
    results = imported(api, [bad, record("1.000656")])
    refused = [r for r in results.values() if r["status"] == "refused"]
    assert len(refused) == 1 and reason in refused[0]["reason_vi"] and refused[0]["reason_en"]
    assert results["1.000656"]["status"] == "created"  # the others are still imported
    assert [v.procedure_code for v in versions(app)] == ["tthc-1-000656"]


def test_only_reformers_import_and_hostile_input_is_a_4xx(app: Flask, api: Api) -> None:
    for user in ("tiepnhan", "chuyenvien", "lanhdao"):
        assert api.post("/catalogue/imports", user, json={"records": RECORDS[:1]}).status_code == 403
    assert api.post("/catalogue/imports", json={"records": RECORDS[:1]}).status_code == 401
    token = {"Authorization": f"Bearer {api.token('quantri')}"}
    for resp in (
        api.client.post("/api/v1/catalogue/imports", headers=token, data=b"{not json", content_type="application/json"),
        api.client.post("/api/v1/catalogue/imports", headers=token, data=b"x" * (2 * 1024 * 1024),
                        content_type="application/json"),
        api.post("/catalogue/imports", "quantri", json={"records": "MATTHC"}),
        api.post("/catalogue/imports", "quantri", json={"records": []}),
        api.post("/catalogue/imports", "quantri", json=[1, 2]),
    ):
        assert 400 <= resp.status_code < 500 and resp.mimetype == "application/problem+json", resp.status_code
    odd = api.post("/catalogue/imports", "quantri", json={"records": [7, "x", [], {
        "MATTHC": "1.2", "TENTTHC": "Thử", "CACHTHUCTHUCHIEN": "x"}, {"MATTHC": ["1.2"]}]}).get_json()["results"]
    assert [r["status"] for r in odd] == ["refused"] * 5 and not versions(app)
    assert odd[0]["reason_vi"] == "Bản ghi không phải là một đối tượng JSON."
    only = imported(api, RECORDS, codes=["1.000894"])
    assert list(only) == ["1.000894"] and [v.procedure_code for v in versions(app)] == ["tthc-1-000894"]


def test_the_page_imports_an_uploaded_file(app: Flask) -> None:
    client, token = signed_in(app, "quantri")
    assert 'data-nav="catalogue"' in client.get("/designer/").get_data(as_text=True)
    assert client.get("/designer/catalogue").status_code == 200
    data = json.dumps([record(HKD), {"TENTTHC": "Không có mã"}], ensure_ascii=False).encode()
    resp = client.post("/designer/catalogue", data={"csrf_token": token,
                                                    "catalogue": (io.BytesIO(data), "danh-muc.json")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page
    assert f'data-record="{HKD}" data-status="created"' in page
    assert f"/designer/{HKD_CODE}/versions/1/legal" in page
    assert 'data-status="refused"' in page and "Thiếu mã thủ tục hành chính (MATTHC)." in page
    for upload, status in (((io.BytesIO(b"\x89PNG not json"), "a.json"), 400),
                           ((io.BytesIO(b"{}"), "a.json"), 422),
                           ((io.BytesIO(b"[" + b" " * (6 * 1024 * 1024) + b"]"), "big.json"), 400)):
        bad = client.post("/designer/catalogue", data={"csrf_token": token, "catalogue": upload})
        assert bad.status_code in (status, 413), bad.status_code
        assert bad.status_code == 413 or 'data-error-for="catalogue"' in bad.get_data(as_text=True)
    no_csrf = client.post("/designer/catalogue", data={"catalogue": (io.BytesIO(data), "x.json")})
    assert no_csrf.status_code == 403
    officer, _officer_token = signed_in(app, "tiepnhan")
    assert officer.get("/designer/catalogue").status_code == 403
    assert len(versions(app)) == 1


def test_the_command_imports_a_file(app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_AUDIT_CHECKPOINT_FILE", str(app.extensions["motcua"].settings.audit_checkpoint_file))
    assert cli_main(["catalogue", "import", str(SAMPLE), "--code", HKD, "--code", "1.001193", "--as", "quantri"]) == 0
    out = capsys.readouterr().out
    assert f"{HKD}: new procedure, draft {HKD_CODE} v1" in out and "1.001193: new procedure" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"MATTHC": "1.001193", "TENTTHC": "x"}]), "utf-8")
    assert cli_main(["catalogue", "import", str(bad), "--as", "quantri"]) == 1
    assert "refused" in capsys.readouterr().out
    assert cli_main(["catalogue", "import", str(SAMPLE), "--as", "chuyenvien"]) == 2  # not a reformer
    assert sorted({v.procedure_code for v in versions(app)}) == ["tthc-1-001193", HKD_CODE]
