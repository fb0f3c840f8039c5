"""A version exported as its folder (.zip) and imported back: the same content hash; hostile archives (too
large, paths out of the folder, links, unexpected files, XML entities) are refused with a 422 and store nothing."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api.cli import main as cli_main
from engine.errors import InvalidPackage
from engine.procedures.archive import export_archive, read_archive
from engine.procedures.packages import read_package

from .conftest import Api
from .test_reform import reformed_package

ROOT = Path(__file__).resolve().parent.parent
HKD = "ho-kinh-doanh"
ZIP = {"Content-Type": "application/zip"}


def hkd_package() -> Any:
    return read_package(ROOT / "processes" / HKD, ROOT / "forms")


def zipped(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_round_trip_keeps_the_content_hash() -> None:
    package = hkd_package()
    data = export_archive(package)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"{HKD}/procedure.toml" in names and f"{HKD}/forms/hkd-nop-ho-so.form" in names
    again = read_archive(data)
    assert again.code == HKD and again.content_hash == package.content_hash
    # the files at the top, as a team might zip its folder by hand
    flat = {n.split("/", 1)[1]: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in names}
    assert read_archive(zipped(flat)).content_hash == package.content_hash


def _entries() -> dict[str, bytes]:
    package = hkd_package()
    return {**package.files, "forms/hkd-nop-ho-so.form": b'{"type": "default", "components": []}'}


@pytest.mark.parametrize("make, code", [
    (lambda e: b"not a zip", "archive-invalid"),
    (lambda e: zipped({**e, "../evil.bpmn": b"x"}), "archive-path"),
    (lambda e: zipped({**e, "/etc/x.toml": b"x"}), "archive-path"),
    (lambda e: zipped({**e, "forms\\..\\x.form": b"{}"}), "archive-path"),
    (lambda e: zipped({**e, "run.py": b"print(1)"}), "archive-unexpected-file"),
    (lambda e: zipped({**e, "forms/sub/x.form": b"{}"}), "archive-unexpected-file"),
    (lambda e: zipped({**e, "link.bpmn": b"/etc/passwd"}, links=("link.bpmn",)), "archive-link"),
    (lambda e: zipped({**e, "big.bpmn": b" " * (3 * 1024 * 1024)}), "file-too-large"),
    (lambda e: zipped({k: v for k, v in e.items() if k != "procedure.toml"}), "metadata-missing"),
    (lambda e: zipped({**e, "forms/x.form": b"[1, 2]"}), "form-invalid"),
    (lambda e: zipped({f"f{i}.dmn": b"" for i in range(201)}), "archive-too-many-files"),
])
def test_hostile_archives_are_refused(make: Any, code: str) -> None:
    with pytest.raises(InvalidPackage) as caught:
        read_archive(make(_entries()))
    assert caught.value.problems[0].code == code


def test_export_and_import_through_the_api(app: Flask, api: Api) -> None:
    resp = api.get(f"/procedures/{HKD}/versions/1/export", "quantri")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "ho-kinh-doanh-v1.zip" in resp.headers["Content-Disposition"]
    data = resp.get_data()
    versions = api.get(f"/procedures/{HKD}/versions", "quantri").get_json()["items"]
    # the same content: the version that has it, no new draft
    same = api.post("/procedures/import", "quantri", data=data, headers=ZIP)
    assert same.status_code == 201, same.get_json()
    assert same.get_json()["version"]["number"] == 1 and not same.get_json()["new_procedure"]
    assert len(api.get(f"/procedures/{HKD}/versions", "quantri").get_json()["items"]) == len(versions)
    # the same folder under another code: a new procedure, whose first draft has the same files
    entries = {n.split("/", 1)[1]: c for n, c in
               ((n, zipfile.ZipFile(io.BytesIO(data)).read(n)) for n in zipfile.ZipFile(io.BytesIO(data)).namelist())}
    entries["procedure.toml"] = entries["procedure.toml"].replace(b'code = "ho-kinh-doanh"', b'code = "hkd-ban-sao"')
    new = api.post("/procedures/import", "quantri", data=zipped(entries), headers=ZIP)
    assert new.status_code == 201, new.get_json()
    assert new.get_json()["new_procedure"] and new.get_json()["version"]["status"] == "draft"
    again = api.get("/procedures/hkd-ban-sao/versions/1/export", "quantri").get_data()
    assert read_archive(again).content_hash == read_archive(zipped(entries)).content_hash


def test_an_import_never_silently_replaces_an_open_draft(app: Flask, api: Api) -> None:
    """Someone's unpublished draft is not overwritten by an import unless the designer asks for it."""
    exported = api.get(f"/procedures/{HKD}/versions/1/export", "quantri").get_data()
    draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package()).get_json()["version"]
    entries = {n.split("/", 1)[1]: c for n, c in
               ((n, zipfile.ZipFile(io.BytesIO(exported)).read(n))
                for n in zipfile.ZipFile(io.BytesIO(exported)).namelist())}
    entries["procedure.toml"] = entries["procedure.toml"].replace(b"amount = 100000", b"amount = 90000")
    refused = api.post("/procedures/import", "quantri", data=zipped(entries), headers=ZIP)
    assert refused.status_code == 409 and refused.get_json()["code"] == "draft-open"
    kept = api.get(f"/procedures/{HKD}/versions/{draft['number']}/package", "quantri").get_json()
    assert kept["content_hash"] == draft["content_hash"]
    # the same content as a stored version: that version, nothing replaced
    assert api.post("/procedures/import", "quantri", data=exported, headers=ZIP).get_json()["version"]["number"] == 1
    replaced = api.post("/procedures/import?replace=true", "quantri", data=zipped(entries), headers=ZIP)
    assert replaced.status_code == 201 and replaced.get_json()["version"]["number"] == draft["number"]
    assert replaced.get_json()["version"]["content_hash"] != draft["content_hash"]


def test_bad_imports_are_4xx_and_store_nothing(app: Flask, api: Api) -> None:
    entity = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>'
    toml = (ROOT / "processes" / HKD / "procedure.toml").read_bytes().replace(b'"ho-kinh-doanh"', b'"doc-hai"')
    for body, headers, status in [
        (b"PK not really", ZIP, 422),
        (zipped({"procedure.toml": toml, "process.bpmn": entity}), ZIP, 422),
        (zipped({"procedure.toml": toml}), {"Content-Type": "text/plain"}, 400),
    ]:
        resp = api.post("/procedures/import", "quantri", data=body, headers=headers)
        assert resp.status_code == status, resp.get_json()
        assert resp.mimetype == "application/problem+json"
    assert api.get("/procedures/doc-hai/versions/1/package", "quantri").status_code == 404
    assert api.post("/procedures/import", "chuyenvien", data=b"", headers=ZIP).status_code == 403


def test_cli_export_and_import(app: Flask, api: Api, database_url: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_AUDIT_CHECKPOINT_FILE", str(app.extensions["motcua"].settings.audit_checkpoint_file))
    out = tmp_path / "hkd.zip"
    assert cli_main(["procedures", "export", HKD, "1", "--out", str(out)]) == 0
    assert read_archive(out.read_bytes()).content_hash == hkd_package().content_hash
    entries = {n.split("/", 1)[1]: zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist()}
    entries["procedure.toml"] = entries["procedure.toml"].replace(b'code = "ho-kinh-doanh"', b'code = "hkd-cli"')
    (tmp_path / "new.zip").write_bytes(zipped(entries))
    assert cli_main(["procedures", "import", str(tmp_path / "new.zip"), "--as", "quantri"]) == 0
    assert "hkd-cli: new procedure, draft version 1" in capsys.readouterr().out
    assert api.get("/procedures/hkd-cli/versions", "quantri").get_json()["items"][0]["status"] == "draft"
    # not a designer: refused, nothing stored
    assert cli_main(["procedures", "import", str(out), "--as", "chuyenvien"]) == 2
