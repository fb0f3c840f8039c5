"""The national index's digitisation figures beside the others: dossiers whose documents are kept as digital copies
and dossiers whose applicant data was reused, over the dossiers received in the period (SQLite and PostgreSQL).

The seeded March of test_dashboard (4 dossiers received: A1, A2, A3 at CM-AX, T1 at CM-TT), plus: A1 has a
scanned file attached, A2 and T1 reused the applicant's data of an earlier dossier, A3 has an empty list (asked
for nothing) and nothing attached.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select

from engine.dossiers.models import Attachment, Dossier

from .test_dashboard import MARCH_QS, Seeded, read_csv, seeded  # noqa: F401  (the fixture)

PDF = b"%PDF-1.4\n%%EOF\n"


def _digitise(seeded: Seeded) -> None:  # noqa: F811
    with seeded.app.extensions["motcua"].session_factory() as session:
        by_code = {d.code: d for d in session.scalars(select(Dossier))}
        a1 = by_code[seeded.codes["A1"]]
        sha = hashlib.sha256(PDF).hexdigest()
        for document in ("giay-de-nghi", "ban-sao-cccd"):  # two files: still one dossier
            session.add(Attachment(dossier_id=a1.id, document=document, file_name="scan.pdf",
                                   content_type="application/pdf", size=len(PDF), sha256=sha,
                                   stored_path=f"{sha[:2]}/{sha}", uploaded_at=datetime(2026, 3, 2, 2, tzinfo=UTC)))
        by_code[seeded.codes["A2"]].reused_fields = ["name", "id_number", "address"]
        by_code[seeded.codes["T1"]].reused_fields = ["name"]
        by_code[seeded.codes["A3"]].reused_fields = []
        session.commit()


def test_the_figures_count_digital_copies_and_reused_data(seeded: Seeded) -> None:  # noqa: F811
    _digitise(seeded)
    groups = {g["key"]: g for g in seeded.api.get(
        "/stats?start=2026-03-01&end=2026-04-01&group_by=unit", "lanhdaotinh").get_json()["groups"]}
    ax, tt = groups["CM-AX"], groups["CM-TT"]
    assert (ax["received"], ax["digitised"], ax["reused"]) == (3, 1, 1)
    assert (tt["received"], tt["digitised"], tt["reused"]) == (1, 0, 1)
    assert ax["rates"]["digitisation"] == 33.33 and ax["rates"]["data_reuse"] == 33.33
    assert tt["rates"]["digitisation"] == 0.0 and tt["rates"]["data_reuse"] == 100.0
    [total] = seeded.api.get("/stats?start=2026-03-01&end=2026-04-01", "lanhdaotinh").get_json()["groups"]
    assert (total["digitised"], total["reused"]) == (1, 2)
    assert (total["rates"]["digitisation"], total["rates"]["data_reuse"]) == (25.0, 50.0)
    # received in another period: none of these count
    [april] = seeded.api.get("/stats?start=2026-04-01&end=2026-05-01", "lanhdaotinh").get_json()["groups"] or [{}]
    assert april.get("digitised", 0) == 0 and april.get("rates", {}).get("digitisation") is None


def test_the_dashboard_shows_them_beside_the_others_and_the_csv_carries_them(seeded: Seeded) -> None:  # noqa: F811
    _digitise(seeded)
    client = seeded.page_client("lanhdaotinh")
    page = client.get(f"/dashboard/?{MARCH_QS}").get_data(as_text=True)
    for kpi in ("on_time", "online", "online_payment", "satisfaction", "digitisation", "data_reuse"):
        assert f'data-kpi="{kpi}"' in page
    digitisation = page[page.index('data-kpi="digitisation"'):][:400]
    assert "25,0 %" in digitisation
    assert 'data-col="data_reuse" data-value="50.0"' in page
    header, row = read_csv(client.get(f"/dashboard/export.csv?{MARCH_QS}").get_data())
    values = dict(zip(header, row, strict=True))
    assert (values["Hồ sơ số hóa"], values["Tỷ lệ số hóa hồ sơ (%)"]) == ("1", "25,0")
    assert (values["Hồ sơ tái sử dụng dữ liệu"], values["Tỷ lệ tái sử dụng dữ liệu (%)"]) == ("2", "50,0")


def test_a_dossier_counts_as_digitised_only_when_every_paper_handed_in_has_its_copy(seeded: Seeded  # noqa: F811
                                                                                   ) -> None:
    """A3 was handed in at the counter as two papers (recorded); one is scanned, then the other."""
    def digitised() -> int:
        [total] = seeded.api.get("/stats?start=2026-03-01&end=2026-04-01&unit=CM-AX",
                                 "lanhdaotinh").get_json()["groups"]
        return int(total["digitised"])

    sha = hashlib.sha256(PDF).hexdigest()
    factory = seeded.app.extensions["motcua"].session_factory
    with factory() as session:
        a3 = session.scalars(select(Dossier).where(Dossier.code == seeded.codes["A3"])).one()
        a3.received_documents = [{"code": "don-de-nghi", "name": "Đơn", "kind": "original", "quantity": 1},
                                 {"code": "ban-ve", "name": "Bản vẽ", "kind": "copy", "quantity": 2}]
        session.commit()
    assert digitised() == 0
    for document, expected in (("don-de-nghi", 0), ("ban-ve", 1)):
        with factory() as session:
            a3 = session.scalars(select(Dossier).where(Dossier.code == seeded.codes["A3"])).one()
            session.add(Attachment(dossier_id=a3.id, document=document, file_name="scan.pdf",
                                   content_type="application/pdf", size=len(PDF), sha256=sha,
                                   stored_path=f"{sha[:2]}/{sha}", uploaded_at=datetime(2026, 3, 3, 2, tzinfo=UTC)))
            session.commit()
        assert digitised() == expected, document
