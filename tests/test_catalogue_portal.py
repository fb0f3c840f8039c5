"""The national catalogue read from the portal (LayThuTuc / LayDanhSachTTHC) of the stand-in, over HTTP: the
command and the designer's page import its records; a reform published at the national level (a deadline cut)
arrives as a new draft with its diff; the portal down is a clear answer, not an error page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api.cli import main as cli_main
from connectors.portal.standin import StandinPortal, start

from .conftest import Api
from .test_catalogue import HKD, HKD_CODE, SAMPLE, versions
from .test_officer_pages import signed_in


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinPortal]:
    standin = start(username="motcua", password="bi-mat", catalogue=SAMPLE)
    for name, value in (("URL", standin.url), ("USERNAME", "motcua"), ("PASSWORD", "bi-mat"), ("TIMEOUT", "2")):
        monkeypatch.setenv(f"MOTCUA_PORTAL_{name}", value)
    yield standin
    standin.stop()


@pytest.fixture
def app(app_factory: Any, tmp_path: Path) -> Flask:
    empty = tmp_path / "processes"
    empty.mkdir()
    return app_factory(processes_dir=empty)


def test_the_command_imports_from_the_portal_and_a_national_reform_arrives_as_a_draft(
        app: Flask, database_url: str, portal: StandinPortal, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_AUDIT_CHECKPOINT_FILE", str(app.extensions["motcua"].settings.audit_checkpoint_file))
    assert cli_main(["catalogue", "import", "--from-portal", "--code", HKD, "--as", "quantri"]) == 0
    assert f"{HKD}: new procedure, draft {HKD_CODE} v1" in capsys.readouterr().out
    # the draft is published, then the centre cuts the deadline of the online channel
    api = Api(app.test_client())
    published = api.post(f"/procedures/{HKD_CODE}/versions/1/publish", "quantri", json={"note": "Ban hành"})
    assert published.status_code == 200, published.get_json()
    record = next(r for r in portal.portal.catalogue if r["MATTHC"] == HKD)
    online = next(c for c in record["CACHTHUCTHUCHIEN"] if str(c["KENH"]) == "2")
    online["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = 1
    assert cli_main(["catalogue", "import", "--from-portal", "--code", HKD, "--as", "quantri"]) == 0
    out = capsys.readouterr().out
    assert f"{HKD}:" in out and "draft" in out
    assert [v.number for v in versions(app, HKD_CODE)] == [1, 2]
    # the whole list, read from LayDanhSachTTHC: the others are new, this one unchanged
    assert cli_main(["catalogue", "import", "--from-portal", "--as", "quantri"]) == 0
    assert f"{HKD}: new procedure" not in capsys.readouterr().out
    assert [v.number for v in versions(app, HKD_CODE)] == [1, 2]  # the open draft is not overwritten
    assert len({v.procedure_code for v in versions(app)}) == len(portal.portal.catalogue)


def test_the_page_imports_from_the_portal_and_says_when_it_is_down(app: Flask, portal: StandinPortal) -> None:
    client, token = signed_in(app, "quantri")
    page = client.get("/designer/catalogue").get_data(as_text=True)
    assert 'value="portal"' in page
    resp = client.post("/designer/catalogue", data={"csrf_token": token, "source": "portal", "codes": HKD})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert f'data-record="{HKD}" data-status="created"' in resp.get_data(as_text=True)
    portal.down()
    down = client.post("/designer/catalogue", data={"csrf_token": token, "source": "portal", "codes": HKD})
    assert down.status_code == 409
    assert "Không lấy được danh mục từ Cổng Dịch vụ công quốc gia" in down.get_data(as_text=True)
    assert [v.number for v in versions(app, HKD_CODE)] == [1]
