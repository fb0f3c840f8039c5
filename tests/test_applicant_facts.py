"""Every dossier carries its applicant's facts (kind, personal id or tax code, folded search text), whichever
way it came in, so that the register and the counter's look-up need no JSON and no join."""

from __future__ import annotations

from flask import Flask

from engine.dossiers.applicants import applicant_facts
from engine.dossiers.models import Dossier

from .conftest import Api
from .test_flow import PATHS


def test_facts_of_a_person_and_a_business() -> None:
    person = applicant_facts("CM-1", {"name": "Trần Đức Ánh", "id_number": "096123456789"})
    assert (person.kind, person.key, person.search_text) == ("person", "096123456789",
                                                             "cm-1 tran duc anh 096123456789")
    firm = applicant_facts("CM-2", {"kind": "business", "name": "Công ty TNHH Đồng Tiến",
                                    "tax_code": "2000123456-001", "representative": "Lê Văn Bé"})
    assert (firm.kind, firm.key) == ("business", "2000123456-001")
    assert firm.search_text == "cm-2 cong ty tnhh dong tien le van be 2000123456-001"
    odd = applicant_facts("CM-3", {"kind": "robot", "name": 5, "id_number": ["x"]})
    assert (odd.kind, odd.key, odd.search_text) == ("person", None, "cm-3")


def test_a_counter_dossier_is_stamped(app: Flask, api: Api) -> None:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": "ho-kinh-doanh", "applicant": {
        "name": "Phạm Thị Hồng", "id_number": "096198765432"}, "data": PATHS["ho-kinh-doanh"]["start"]})
    code = resp.get_json().get("code")
    with app.extensions["motcua"].session_factory() as session:
        dossier = session.query(Dossier).filter_by(code=code).one()
        assert (dossier.applicant_kind, dossier.applicant_key) == ("person", "096198765432")
        assert "pham thi hong" in dossier.search_text and code.lower() in dossier.search_text
