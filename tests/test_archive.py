"""The dossier's archive package, on SQLite and PostgreSQL, with the real test PKI (tests/pki_support.py: the unit's
PKCS#12, a TSA and OCSP served on 127.0.0.1): an ended dossier gets its package from the scheduler's job, and
`motcua archive verify` passes it; a changed byte, a removed or added file, a tampered manifest and a manifest
signed by an unknown CA fail with their message; expired packages are purged; the download is the dossier's
readers' only, and audited."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select

from api.cli import main
from engine.archive.models import MADE, PURGED, ArchivePackage
from engine.archive.service import archive_job, archiver_for, run_archive
from engine.dossiers.models import Attachment, Dossier
from engine.scheduling.scheduler import job_context, jobs_from, run_job
from engine.store.models import AuditEntry

from .conftest import Api
from .pki_support import (
    demo_pki,  # noqa: F401 - the session's test PKI and its stand-in
    plugin_sign,
)
from .results_support import Live, approve
from .results_support import live as live  # the fixture: Motcua served, the demo PKI, the remote signing stand-in
from .test_flow import run_to_end
from .test_lifecycle import act, submit

ATTACHMENTS = 5


def configure(monkeypatch: pytest.MonkeyPatch, demo_pki: Any, database_url: str, tmp_path: Path) -> None:  # noqa: F811
    """The unit's signing settings and the archive's, in the environment: the app's scheduler job and the
    `motcua` command (main(), which reads its settings from the environment) see the same."""
    for name, value in demo_pki.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MOTCUA_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("MOTCUA_ARCHIVE_RETENTION_YEARS", "10")
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_UPLOAD_DIR", str(tmp_path / "uploads"))


@pytest.fixture
def env(app_factory: Any, demo_pki: Any, database_url: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        tmp_path: Path) -> Any:
    configure(monkeypatch, demo_pki, database_url, tmp_path)
    return app_factory(upload_dir=tmp_path / "uploads")


def ended(app: Flask, api: Api, files: int = ATTACHMENTS) -> str:
    """A counter dossier with `files` attachments, stopped by the leader: it has ended."""
    code = submit(api)["code"]
    services = app.extensions["motcua"]
    upload = services.settings.upload_dir
    with services.session_factory() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
        for index in range(files):
            data = f"%PDF-1.4\n% tệp {index} của hồ sơ {code}\n%%EOF\n".encode()
            sha = hashlib.sha256(data).hexdigest()
            (upload / sha[:2]).mkdir(parents=True, exist_ok=True)
            (upload / sha[:2] / sha).write_bytes(data)
            session.add(Attachment(dossier_id=dossier_id, document="giay-de-nghi", file_name=f"Đơn số {index}.pdf",
                                   content_type="application/pdf", size=len(data), sha256=sha,
                                   stored_path=f"{sha[:2]}/{sha}", uploaded_at=datetime.now(UTC)))
        session.commit()
    resp = act(api, code, "stop", "lanhdao", reason="Hồ sơ giả mạo giấy tờ")
    assert resp.status_code == 200 and resp.get_json()["status"] == "stopped", resp.get_json()
    return code


def run_job_once(app: Flask) -> int:
    services = app.extensions["motcua"]
    ctx = job_context(services.settings, services.uow, services.clock,
                      archive=archive_job(services.uow, archiver_for(services.settings)))
    [job] = [j for j in jobs_from(services.settings) if j.name == "archive"]
    return run_job(ctx, job)


def package_row(app: Flask, code: str) -> ArchivePackage | None:
    with app.extensions["motcua"].session_factory() as session:
        return session.scalars(select(ArchivePackage).join(Dossier, Dossier.id == ArchivePackage.dossier_id)
                               .where(Dossier.code == code)).first()


def package_path(code: str, app: Flask, tmp_path: Path) -> Path:
    row = package_row(app, code)
    assert row is not None
    return tmp_path / "archive" / row.path


def verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["archive", "verify", str(path)])
    return code, capsys.readouterr().out


def rewrite(path: Path, target: Path, change: Any) -> Path:
    """A copy of the package whose entries `change(files)` edited, zipped again (valid CRCs: a careful forger)."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    target.write_bytes(out.getvalue())
    return target


def test_an_ended_dossier_gets_a_signed_package_that_verifies(env: Flask, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    api = Api(env.test_client())
    code = ended(env, api)
    running = submit(api)["code"]  # not ended: no package

    assert run_job_once(env) == 1
    assert package_row(env, running) is None
    row = package_row(env, code)
    assert row is not None and row.state == MADE and row.verified_at is None
    path = tmp_path / "archive" / row.path
    data = path.read_bytes()
    assert row.sha256 == hashlib.sha256(data).hexdigest() and row.size == len(data)
    with env.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert row.keep_until == dossier.finished_at.replace(year=dossier.finished_at.year + 10)
        made = session.scalars(select(AuditEntry).where(AuditEntry.action == "archive_made")).one()
        assert made.dossier_id == dossier.id and made.detail["sha256"] == row.sha256

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = orjson.loads(archive.read("manifest.json"))
        audit = orjson.loads(archive.read("audit.json"))
        record = orjson.loads(archive.read("dossier.json"))
        receipt = archive.read("documents/01-receipt.pdf")
    assert {"documents/01-receipt.pdf", "documents/05-stop-notice.pdf", "documents/06-control-sheet.pdf",
            "audit.json", "dossier.json", "manifest.json", "manifest.p7s"} <= set(names)
    assert "documents/03-refusal.pdf" not in names and not any(n.startswith("result/") for n in names)
    assert len([n for n in names if n.startswith("attachments/")]) == ATTACHMENTS
    assert receipt.startswith(b"%PDF-")
    assert manifest["dossier"] == code and manifest["unit"] == "CM-AX" and manifest["motcua_version"]
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json", "manifest.p7s"}
    assert [e["action"] for e in audit][:2] == ["submitted", "received"] and audit[-1]["action"] == "stop"
    assert all(e["hash"] and e["prev_hash"] for e in audit) and audit == sorted(audit, key=lambda e: e["seq"])
    assert record["code"] == code and record["status"] == "stopped" and record["applicant"]["name"]
    assert record["procedure"]["code"] == "ho-kinh-doanh" and record["procedure"]["version"] == 1

    status, out = verify(path, capsys)
    assert status == 0, out
    assert "Gói lưu trữ hợp lệ" in out and "[KHÔNG ĐẠT]" not in out
    assert "Manifest được ký bởi" in out
    assert package_row(env, code).verified_at is not None  # the check is recorded on the row

    assert run_job_once(env) == 0  # nothing new: each dossier is packed once


def test_tampered_packages_fail_with_their_message(env: Flask, tmp_path: Path, demo_pki: Any,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    api = Api(env.test_client())
    code = ended(env, api, files=2)
    run_job_once(env)
    path = package_path(code, env, tmp_path)
    with zipfile.ZipFile(path) as archive:
        attachment = next(n for n in archive.namelist() if n.startswith("attachments/"))

    def flip(files: dict[str, bytes]) -> None:
        data = bytearray(files[attachment])
        data[5] ^= 0x01
        files[attachment] = bytes(data)

    cases = {
        "changed": (flip, f"Tệp {attachment} đã bị thay đổi"),
        "removed": (lambda f: f.pop("documents/06-control-sheet.pdf"), "Thiếu tệp documents/06-control-sheet.pdf"),
        "added": (lambda f: f.__setitem__("attachments/them.pdf", b"%PDF-1.4"), "attachments/them.pdf không có trong "
                  "manifest"),
        "audit": (lambda f: f.__setitem__("audit.json", f["audit.json"].replace(b"stop", b"stap")),
                  "Tệp audit.json đã bị thay đổi"),
        "manifest": (lambda f: f.__setitem__("manifest.json", f["manifest.json"].replace(b"CM-AX", b"CM-TT", 1)),
                     "Manifest đã bị sửa sau khi ký"),
        "no-signature": (lambda f: f.pop("manifest.p7s"), "Thiếu chữ ký của manifest"),
        "garbage-signature": (lambda f: f.__setitem__("manifest.p7s", b"\x30\x03\x02\x01\x00"),
                              "Chữ ký của manifest không đọc được"),
    }
    for name, (change, message) in cases.items():
        status, out = verify(rewrite(path, tmp_path / f"{name}.zip", change), capsys)
        assert status == 1 and message in out and "KHÔNG hợp lệ" in out, (name, out)

    # a forger who re-hashes the manifest and signs it with a certificate of an unknown CA
    from engine.signing.manifest import sign_detached

    forged_settings = demo_pki.settings(unit_pkcs12=demo_pki.unknown_ca_p12)

    def resign(files: dict[str, bytes]) -> None:
        flip(files)
        manifest = orjson.loads(files["manifest.json"])
        for entry in manifest["files"]:
            if entry["path"] == attachment:
                entry["sha256"] = hashlib.sha256(files[attachment]).hexdigest()
        files["manifest.json"] = orjson.dumps(manifest)
        files["manifest.p7s"] = sign_detached(files["manifest.json"], forged_settings)

    status, out = verify(rewrite(path, tmp_path / "forged.zip", resign), capsys)
    assert status == 1 and "không do tổ chức cung cấp dịch vụ tin cậy cấp" in out, out
    assert f"Tệp {attachment}: mã băm khớp manifest" in out  # the hashes alone would have passed


def test_what_is_no_package_exits_2(env: Flask, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"%PDF-1.7 not a zip")
    traversal = tmp_path / "t.zip"
    out_zip = io.BytesIO()
    with zipfile.ZipFile(out_zip, "w") as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("../../etc/cron.d/x", b"boom")
    traversal.write_bytes(out_zip.getvalue())
    no_manifest = tmp_path / "n.zip"
    no_manifest.write_bytes(_zip({"audit.json": b"[]"}))
    bomb = tmp_path / "b.zip"
    bomb.write_bytes(_zip({"manifest.json": b"{}", "attachments/z.bin": b"\0" * (3 * 1024 * 1024)}))
    for path, message in ((not_zip, "không phải tệp nén ZIP"), (traversal, "đường dẫn không an toàn"),
                          (no_manifest, "không có manifest.json"), (tmp_path / "absent.zip", "Không đọc được tệp")):
        status, out = verify(path, capsys)
        assert status == 2 and message in out, out
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTCUA_ARCHIVE_MAX_MB", "1")
        status, out = verify(bomb, capsys)
    assert status == 2 and "MB" in out, out


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_retention_purges_expired_packages_and_a_procedure_may_keep_longer(env: Flask, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]
                                                                          ) -> None:
    api = Api(env.test_client())
    code = ended(env, api, files=1)
    run_job_once(env)
    row = package_row(env, code)
    path = tmp_path / "archive" / row.path
    assert path.is_file()
    capsys.readouterr()
    assert main(["archive", "list", "--expired"]) == 0 and code not in capsys.readouterr().out
    with env.extensions["motcua"].session_factory() as session:  # ten years later
        stored = session.get(ArchivePackage, row.id)
        stored.keep_until = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
    assert main(["archive", "list", "--expired"]) == 0 and code in capsys.readouterr().out

    assert run_job_once(env) == 1
    row = package_row(env, code)
    assert row.state == PURGED and row.purged_at is not None and not path.exists()
    with env.extensions["motcua"].session_factory() as session:
        purged = session.scalars(select(AuditEntry).where(AuditEntry.action == "archive_purged")).one()
        assert purged.before == {"state": MADE} and purged.after == {"state": PURGED}
    assert api.get(f"/dossiers/{code}/archive", "tiepnhan").get_json()["state"] == PURGED
    assert api.get(f"/dossiers/{code}/archive.zip", "tiepnhan").status_code == 404


def test_a_procedure_s_own_retention_is_used(app_factory: Any, demo_pki: Any, database_url: str,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    from .conftest import PROJECT_ROOT

    processes = tmp_path / "processes"
    shutil.copytree(PROJECT_ROOT / "processes", processes)
    toml = processes / "ho-kinh-doanh" / "procedure.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[archive]\nretention_years = 20\n", encoding="utf-8")
    configure(monkeypatch, demo_pki, database_url, tmp_path)
    app = app_factory(processes_dir=processes, upload_dir=tmp_path / "uploads")
    code = ended(app, Api(app.test_client()), files=0)
    made = run_archive(app.extensions["motcua"].uow, archiver_for(app.extensions["motcua"].settings))
    assert made.made == 1
    row = package_row(app, code)
    with app.extensions["motcua"].session_factory() as session:
        finished = session.scalar(select(Dossier.finished_at).where(Dossier.code == code))
    assert row.keep_until == finished.replace(year=finished.year + 20)


def test_the_package_is_for_the_dossier_s_readers_and_its_download_is_audited(env: Flask, tmp_path: Path) -> None:
    api = Api(env.test_client())
    code = ended(env, api, files=1)
    assert api.get(f"/dossiers/{code}/archive", "tiepnhan").get_json()["code"] == "archive-not-found"
    run_job_once(env)
    meta = api.get(f"/dossiers/{code}/archive", "tiepnhan")
    assert meta.status_code == 200, meta.get_json()
    body = meta.get_json()
    assert body["state"] == MADE and body["download"] == f"/api/v1/dossiers/{code}/archive.zip"
    assert body["created_at"].endswith("+07:00") and body["keep_until"].endswith("+07:00")  # Vietnam's time
    got = api.get(f"/dossiers/{code}/archive.zip", "chuyenvien")
    assert got.status_code == 200 and got.mimetype == "application/zip"
    assert hashlib.sha256(got.data).hexdigest() == body["sha256"]
    assert got.headers["Cache-Control"] == "private, no-store"
    with env.extensions["motcua"].session_factory() as session:
        downloaded = session.scalars(select(AuditEntry).where(AuditEntry.action == "archive_downloaded")).one()
        assert downloaded.detail["sha256"] == body["sha256"]

    from engine.people.organisation import create_user

    from .conftest import PASSWORD

    with env.extensions["motcua"].session_factory() as session:
        create_user(session, "tiepnhan.tt", PASSWORD, "Tiếp nhận Tân Thành", [("CM-TT", "reception")])
        create_user(session, "thietke", PASSWORD, "Thiết kế", [("CM-AX", "designer")])
        session.commit()
    for user in ("tiepnhan.tt", "thietke"):  # another unit, or a role that sees no personal data
        for path in (f"/dossiers/{code}/archive", f"/dossiers/{code}/archive.zip"):
            refused = api.get(path, user)
            assert refused.status_code == 404 and refused.mimetype == "application/problem+json", (user, path)
    assert api.get(f"/dossiers/{code}/archive.zip").status_code == 401
    with env.extensions["motcua"].session_factory() as session:
        assert len(list(session.scalars(select(AuditEntry).where(AuditEntry.action == "archive_downloaded")))) == 1


def test_archive_make_packs_one_dossier_now_and_refuses_one_still_running(env: Flask, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]
                                                                          ) -> None:
    api = Api(env.test_client())
    code = ended(env, api, files=1)
    running = submit(api)["code"]
    capsys.readouterr()
    assert main(["archive", "make", code, "--as", "lanhdao"]) == 0
    assert f"Đã lập gói lưu trữ hồ sơ {code}" in capsys.readouterr().out
    assert main(["archive", "make", code]) == 2  # once only
    assert main(["archive", "make", running]) == 2
    assert main(["archive", "make", "KHONG-CO"]) == 2
    status, out = verify(package_path(code, env, tmp_path), capsys)
    assert status == 0, out


def test_the_dossier_page_shows_the_package_to_its_readers(env: Flask) -> None:
    from .test_officer_pages import signed_in

    api = Api(env.test_client())
    code = ended(env, api, files=1)
    page, _ = signed_in(env, "tiepnhan")
    assert "data-archive" not in page.get(f"/dossiers/{code}").get_data(as_text=True)  # none yet
    run_job_once(env)
    html = page.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Gói lưu trữ hồ sơ" in html and "Lưu giữ đến" in html
    assert f'href="/api/v1/dossiers/{code}/archive.zip"' in html
    got = page.get(f"/api/v1/dossiers/{code}/archive.zip")  # the page's session is enough to download
    assert got.status_code == 200 and got.data[:2] == b"PK"
    english, _ = signed_in(env, "chuyenvien")
    english.set_cookie("motcua_lang", "en")
    html = english.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Archive package" in html and "Kept until" in html


def test_the_signed_result_is_kept_and_its_signatures_verified(live: Live, database_url: str,
                                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    configure(monkeypatch, live.pki, database_url, tmp_path)
    monkeypatch.setenv("MOTCUA_UPLOAD_DIR", str(live.app.extensions["motcua"].settings.upload_dir))
    api = live.api
    code = approve(api)
    draft = api.get(f"/dossiers/{code}/result/draft.pdf", "lanhdao").data
    issued = api.post(f"/dossiers/{code}/result/signed", "lanhdao", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(plugin_sign(draft, live.pki.leader_p12, live.pki.tsa_url)),
                                     "signed.pdf")})
    assert issued.status_code == 200 and issued.get_json()["state"] == "issued", issued.get_json()
    run_to_end(api, "ho-kinh-doanh", code)  # the steps after the approval, if any
    assert act(api, code, "record_payment", "tiepnhan", online=False).status_code == 200
    returned = act(api, code, "return_result", "tiepnhan", recipient="Nguyễn Văn A")
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned", returned.get_json()
    signed = api.get(f"/dossiers/{code}/result/signed.pdf", "tiepnhan").data

    assert run_job_once(live.app) == 1
    path = package_path(code, live.app, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("result/ket-qua.pdf") == signed
        names = set(archive.namelist())
    assert {"documents/01-receipt.pdf", "documents/06-control-sheet.pdf"} <= names
    assert "documents/05-stop-notice.pdf" not in names
    status, out = verify(path, capsys)
    assert status == 0 and "Kết quả result/ket-qua.pdf: chữ ký số hợp lệ" in out, out

    def swap_result(files: dict[str, bytes]) -> None:  # a result signed by a revoked certificate, re-listed
        files["result/ket-qua.pdf"] = plugin_sign(draft, live.pki.leader_revoked_p12, live.pki.tsa_url)

    status, out = verify(rewrite(path, tmp_path / "swapped.zip", swap_result), capsys)
    assert status == 1 and "Tệp result/ket-qua.pdf đã bị thay đổi" in out, out
    assert "Kết quả result/ket-qua.pdf: chứng thư số đã bị thu hồi" in out, out
