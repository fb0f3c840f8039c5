"""Rendering time per official document as PDF/A (engine/rendering/): form 01, form 06, the result document
(the household business certificate) and form 07 with 100 rows, each through its API route on SQLite (the
render in its bounded child process, the store and the audit). p50 / p95 in ms, and the PDF's size.

    .venv/bin/python bench/documents.py [--rounds 10] [--samples DIR]

--samples DIR also writes the rendered form 01, result and form 07 there (PDF, and a PNG of each first page when
poppler's pdftoppm is installed): the pictures a reviewer looks at.

Each render forks from a server that has WeasyPrint loaded; the first one starts that server. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="motcua-bench-documents-"))
os.environ.setdefault("MOTCUA_DOCUMENT_STORE_DIR", str(SCRATCH / "documents"))

from api import create_app  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests.conftest import OFFICERS, PASSWORD, UNITS, Api, make_settings  # noqa: E402
from tests.test_flow import PATHS, run_to_end  # noqa: E402

HKD = "ho-kinh-doanh"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--samples", type=Path, help="write the rendered documents to this folder")
    args = parser.parse_args()
    url = f"sqlite:///{SCRATCH / 'bench.db'}"
    upgrade(url)
    settings = make_settings(url, scheduler=False)
    app = create_app(settings)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        for code, name, level, parent in UNITS:  # a commune centre works in its People's Committee's name
            save_unit(session, code, name, level, parent,
                      authority="Ủy ban nhân dân phường An Xuyên" if code == "CM-AX" else None)
        for username, memberships in OFFICERS.items():
            create_user(session, username, PASSWORD, username.title(), memberships)
        session.commit()
    api = Api(app.test_client())
    body = {"procedure": HKD, "applicant": PATHS[HKD]["applicant"], "data": PATHS[HKD]["start"]}
    codes = [api.post("/dossiers", "tiepnhan", json=body).get_json()["code"] for _ in range(100)]
    run_to_end(api, HKD, codes[0])
    cases = {
        "form 01 (receipt)": f"/dossiers/{codes[0]}/documents/receipt.pdf",
        "form 06 (control sheet)": f"/dossiers/{codes[0]}/documents/control-sheet.pdf",
        "result (GCN hộ kinh doanh)": f"/dossiers/{codes[0]}/documents/result.pdf",
        "form 07, 100 rows": "/dossiers/export.pdf?unit=CM-AX",
    }
    print(f"{'document':28} {'p50 ms':>8} {'p95 ms':>8} {'pages KB':>9}")
    for name, path in cases.items():
        times, size = [], 0
        for _ in range(args.rounds):
            started = time.perf_counter()
            resp = api.get(path, "tatca")
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (name, resp.status_code, resp.get_data(as_text=True)[:300])
            size = len(resp.get_data())
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{name:28} {statistics.median(times):8.0f} {p95:8.0f} {size / 1024:9.1f}")
    if args.samples:
        write_samples(api, cases, args.samples)
    services.engine.dispose()


def write_samples(api: Api, cases: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = dict(zip(cases, ("form01", "form06", "result", "form07"), strict=True))
    for name, path in cases.items():
        pdf = folder / f"{names[name]}.pdf"
        pdf.write_bytes(api.get(path, "tatca").get_data())
        if shutil.which("pdftoppm"):  # a picture of the first page, to look at without a PDF reader
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                           check=False)
    print(f"samples written to {folder}")


if __name__ == "__main__":
    main()
