"""The procedures shipped in processes/ from the sample catalogue (birth, marriage and death registration, a
certified copy): each runs from counter receipt to the result returned, and importing the catalogue again finds
them unchanged (the designer's forms kept, their legal facts the records')."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Api
from .test_catalogue import RECORDS

ROLE_USERS = {"reception": "tiepnhan", "specialist": "chuyenvien", "leader": "lanhdao"}
STEPS = {"Task_TiepNhan": {"da_chuyen_ho_so": True}, "Task_ThamDinh": {"y_kien_tham_dinh": "Hồ sơ hợp lệ."},
         "Task_PheDuyet": {"phe_duyet": "dong_y", "y_kien_lanh_dao": "Đồng ý."},
         "Task_TraKetQua": {"da_thong_bao": True}}
APPLICANT = {"name": "Lê Thị Hồng", "id_number": "096190004567", "phone": "0912000111"}
SHIPPED: dict[str, dict[str, Any]] = {
    "tthc-1-001193": {"tre_ho_ten": "Nguyễn Minh Khang", "tre_ngay_sinh": "2026-02-20", "tre_gioi_tinh": "nam",
                      "tre_noi_sinh": "Bệnh viện Đa khoa tỉnh Cà Mau", "me_ho_ten": "Lê Thị Hồng",
                      "quan_he_nguoi_di_khai": "Mẹ"},
    "tthc-1-000894": {"chong_ho_ten": "Trần Văn Phúc", "chong_ngay_sinh": "1995-04-02",
                      "chong_so_dinh_danh": "096095001234", "vo_ho_ten": "Lê Thị Hồng",
                      "vo_ngay_sinh": "1997-09-12", "vo_so_dinh_danh": "096197004567"},
    "tthc-1-000656": {"nguoi_chet_ho_ten": "Lê Văn Tư", "ngay_chet": "2026-02-25", "noi_chet": "Tại nhà riêng",
                      "quan_he_nguoi_di_khai": "Con"},
    "tthc-2-000815": {"ten_giay_to": "Bằng tốt nghiệp trung học phổ thông", "so_ban": 3, "so_trang": 1},
}


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_a_shipped_procedure_runs_from_the_counter_to_the_returned_result(api: Api, code: str) -> None:
    detail = api.get(f"/procedures/{code}").get_json()
    national = detail["national_code"]
    assert any(r["MATTHC"] == national for r in RECORDS)  # made from the sample catalogue's record
    created = api.post("/dossiers", "tiepnhan", json={"procedure": code, "applicant": APPLICANT,
                                                      "data": SHIPPED[code], "channel": "counter"})
    assert created.status_code == 201, created.get_json()
    dossier_code = created.get_json()["code"]
    seen = []
    for _ in range(10):
        dossier = api.get(f"/dossiers/{dossier_code}", "tiepnhan").get_json()
        if not dossier["open_tasks"]:
            break
        task = dossier["open_tasks"][0]
        done = api.complete(task["id"], ROLE_USERS[task["role"]], STEPS[task["bpmn_id"]])
        assert done.status_code == 200, done.get_json()
        seen.append(task["bpmn_id"])
    assert seen == list(STEPS)
    dossier = api.get(f"/dossiers/{dossier_code}", "tiepnhan").get_json()
    assert dossier["status"] == "processed"
    if dossier["fee_owed"]:  # the certified copy's fee; civil status registrations are free
        assert code == "tthc-2-000815"
        paid = api.post(f"/dossiers/{dossier_code}/actions/record_payment", "tiepnhan", json={"online": False})
        assert paid.status_code == 200, paid.get_json()
    returned = api.post(f"/dossiers/{dossier_code}/actions/return_result", "tiepnhan",
                        json={"recipient": APPLICANT["name"]})
    assert returned.status_code == 200, returned.get_json()
    assert api.get(f"/dossiers/{dossier_code}", "tiepnhan").get_json()["status"] == "returned"


def test_the_shipped_procedures_are_the_catalogues_records(api: Api) -> None:
    results = api.post("/catalogue/imports", "quantri", json={"records": RECORDS}).get_json()["results"]
    by_code = {r["code"]: r["status"] for r in results}
    assert {code: by_code[code] for code in SHIPPED} == dict.fromkeys(SHIPPED, "unchanged")
    # the two procedures written by hand carry their national codes: the records, written apart, differ from them
    # and arrive as drafts to review; every other record is a new procedure
    assert {by_code["ho-kinh-doanh"], by_code["gpxd-nha-o"]} == {"new_draft"}
    # the record's result is a legal fact (its name); how Motcua issues and signs it stays in the draft
    draft = next(r for r in results if r["code"] == "ho-kinh-doanh")["version"]
    toml = api.get(f"/procedures/ho-kinh-doanh/versions/{draft}/package", "quantri").get_json()["files"][
        "procedure.toml"]
    assert 'sign_step = "Task_PheDuyet"' in toml and 'template = "result.html"' in toml
    assert sum(s == "created" for s in by_code.values()) == len(RECORDS) - len(SHIPPED) - 2
    package = api.get("/procedures/tthc-1-001193/versions/1/package", "quantri").get_json()
    assert "tre_ho_ten" in json.dumps(package["forms"]["tthc-1-001193-nop-ho-so"])  # the finished form kept
