"""The dossier's archive package: time to make one (a stopped dossier with 5 attachments: its documents rendered
to PDF, the manifest signed by the unit with a TSA time stamp, the .zip written, the row recorded) and to verify
it (every hash, the manifest's signature against the trusted roots with OCSP), against the test PKI's stand-in
trust services on 127.0.0.1. SQLite.

    .venv/bin/python bench/archive.py [--runs N] [--attachment-kb KB]

Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from portal_sync import HKD, Officer, prepared  # noqa: E402
from sqlalchemy import select  # noqa: E402

from api import create_app  # noqa: E402
from connectors.trust_services.standin import start  # noqa: E402
from engine.archive.config import ArchiveSettings  # noqa: E402
from engine.archive.service import archiver_for, make_for  # noqa: E402
from engine.archive.verify import verify_package  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.dossiers.models import Attachment, Dossier  # noqa: E402
from engine.signing.config import SigningSettings  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

ATTACHMENTS = 5


def stopped_dossier(app, officer: Officer, size: int) -> int:  # type: ignore[no-untyped-def]
    code = officer.submit()
    services = app.extensions["motcua"]
    upload = services.settings.upload_dir
    with services.session_factory() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
        for index in range(ATTACHMENTS):
            data = os.urandom(size)  # incompressible, as scans are
            sha = hashlib.sha256(data).hexdigest()
            (upload / sha[:2]).mkdir(parents=True, exist_ok=True)
            (upload / sha[:2] / sha).write_bytes(data)
            session.add(Attachment(dossier_id=dossier_id, document="giay-de-nghi", file_name=f"scan-{index}.pdf",
                                   content_type="application/pdf", size=size, sha256=sha,
                                   stored_path=f"{sha[:2]}/{sha}", uploaded_at=datetime.now(UTC)))
        session.commit()
    officer.act(code, "stop", reason="Đo thời gian lập gói lưu trữ")
    return int(dossier_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--attachment-kb", type=int, default=500)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="motcua-bench-archive-"))
    trust = start(folder=folder / "pki")
    os.environ.update(trust.env())
    os.environ.setdefault("MOTCUA_AUDIT_KEY", "bench-audit-key")  # nothing written into the project's var/
    os.environ.setdefault("MOTCUA_SECRET_KEY", "bench-secret")
    os.environ["MOTCUA_ARCHIVE_DIR"] = str(folder / "archive")
    url = f"sqlite:///{folder / 'motcua.db'}"
    upgrade(url)
    settings = Settings().with_overrides(database_url=url, secret_key="bench", upload_dir=folder / "uploads",
                                         audit_checkpoint_file=folder / "checkpoints.jsonl")
    app = create_app(settings)
    try:
        prepared(app)
        officer = Officer(app)
        archiver = archiver_for(settings)
        signing, limit = SigningSettings.from_env(), ArchiveSettings.from_env().max_bytes
        make, check, sizes = [], [], []
        for _ in range(args.runs):
            dossier_id = stopped_dossier(app, officer, args.attachment_kb * 1024)
            started = time.perf_counter()
            made = make_for(app.extensions["motcua"].uow, archiver, dossier_id)
            make.append(time.perf_counter() - started)
            data = (archiver.settings.directory / made.path).read_bytes()
            sizes.append(len(data))
            started = time.perf_counter()
            report = verify_package(data, signing, limit)
            check.append(time.perf_counter() - started)
            assert report.ok, [c.message for c in report.checks if not c.ok]
        print(json.dumps({
            "procedure": HKD, "runs": args.runs, "attachments": ATTACHMENTS, "attachment_kb": args.attachment_kb,
            "package_kb": round(statistics.mean(sizes) / 1024),
            "make_s": {"median": round(statistics.median(make), 3), "max": round(max(make), 3)},
            "verify_s": {"median": round(statistics.median(check), 3), "max": round(max(check), 3)},
        }, indent=2))
    finally:
        app.extensions["motcua"].engine.dispose()
        trust.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
