"""Real BPMN made elsewhere, through the designer's paths: what a designer would meet with each file.

    .venv/bin/python bench/corpus.py [--corpus ../shared/corpus] [--show CODE] [--list]

Every `.bpmn` file of the corpus (bpmn.io's fixtures, SpiffWorkflow's test diagrams; `../shared/corpus/README.md`)
takes the place of a procedure's diagram (the household-business one, its metadata and forms kept, the process
id set to the file's first executable process, or its first, as a designer importing it would) and goes
through `POST /procedures/validate` and `POST /procedures/{code}/drafts` as a designer, on a throwaway SQLite
database. Prints: files; how each path answered (stored, refused and why, server errors); findings by code;
findings that name no element; messages that are not Vietnamese, or are engine or Python text. The issue's
targets on this corpus are 0 server errors, 0 raw messages, every file storable as a draft, and no structural
error on valid BPMN; this script measures, it never fails.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

PROCEDURE = "ho-kinh-doanh"
PASSWORD = "corpus-bench-1"
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)
# what a designer should never read: Python's own text, and the engine's jargon passed through
RAW = re.compile(r"object at 0x|Traceback|\w+Error\(|\w+Exception\b|<[\w.]+ object|\bNoneType\b|"
                 r"\bmust have an operator\b|Unknown Time Specification|is not executable|\bSpiff\w*|"
                 r"\blxml\b|\bxpath\b|\(<string>, line \d+\)", re.I)


def _app(tmp: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp / 'corpus.db'}"
    upgrade(url)
    settings = Settings().with_overrides(database_url=url, secret_key="corpus-bench", processes_dir=ROOT / "processes",
                                         forms_dir=ROOT / "forms", upload_dir=tmp / "uploads",
                                         audit_checkpoint_file=tmp / "audit-checkpoints.jsonl")
    app = create_app(settings)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        save_unit(session, "CM", "Tỉnh Cà Mau", "province", None)
        create_user(session, "thietke", PASSWORD, "Thiết kế", [("CM", "designer")])
        session.commit()
    return app


PROCESS = re.compile(rb"<(?:\w+:)?process\b([^>]*)>")
ATTRIBUTE = re.compile(rb'\b(id|isExecutable)\s*=\s*"([^"]*)"')


def process_id(text: bytes) -> str | None:
    """The first executable process's id, else the first process's (read with a pattern: the file may not parse,
    and then the designer's paths have to say so, not this script)."""
    found = [dict((k.decode(), v.decode()) for k, v in ATTRIBUTE.findall(m.group(1))) for m in PROCESS.finditer(text)]
    found = [f for f in found if "id" in f]
    executable = [f for f in found if f.get("isExecutable") == "true"]
    return (executable or found or [{"id": None}])[0]["id"]


def _problem(body: Any) -> str:
    if not isinstance(body, dict):
        return "not JSON"
    return str(body.get("type", "")).rsplit("/", 1)[-1] or str(body.get("title", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--show", help="print every message of this finding code (or 'raw', 'english', "
                                       "'nowhere', 'refused', 'crash')")
    parser.add_argument("--list", action="store_true", help="print each file's outcome")
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.bpmn"))
    if not files:
        print(f"no .bpmn file under {args.corpus}: give --corpus")
        return
    with tempfile.TemporaryDirectory(prefix="motcua-corpus-") as scratch:
        app = _app(Path(scratch))
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "thietke", "password": PASSWORD}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        base = client.get(f"/api/v1/procedures/{PROCEDURE}/versions/1/package", headers=headers).get_json()
        bpmn_name = next(name for name in base["files"] if name.endswith(".bpmn"))
        metadata = base["files"]["procedure.toml"]

        outcomes: Counter[str] = Counter()
        codes: Counter[str] = Counter()
        shown: list[str] = []
        counts = Counter[str]()
        for path in files:
            name = str(path.relative_to(args.corpus))
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            found = process_id(raw)
            toml = re.sub(r'(?m)^process_id = ".*"$', f'process_id = "{found}"', metadata) if found else metadata
            body = {"code": PROCEDURE, "files": {**base["files"], bpmn_name: text, "procedure.toml": toml},
                    "forms": base["forms"]}
            checked = client.post("/api/v1/procedures/validate", json=body, headers=headers)
            stored = client.post(f"/api/v1/procedures/{PROCEDURE}/drafts", json={**body, "note": name},
                                 headers=headers)
            kind = ("crash" if max(checked.status_code, stored.status_code) >= 500 else
                    "stored" if stored.status_code == 201 else f"refused {stored.status_code} "
                    f"{_problem(stored.get_json(silent=True))}")
            outcomes[kind] += 1
            if args.list:
                print(f"{kind:40s} {name}")
            if kind == "crash" and args.show == "crash":
                shown.append(f"{name}: {checked.status_code}/{stored.status_code}")
            if kind.startswith("refused") and args.show == "refused":
                shown.append(f"{name}: {stored.get_data(as_text=True)[:300]}")
            found = (checked.get_json(silent=True) or {}).get("problems") or []
            counts["files with findings"] += bool(found)
            for finding in found:
                code, vi, en = finding.get("code", "?"), finding.get("message_vi", ""), finding.get("message_en", "")
                codes[code] += 1
                counts["findings"] += 1
                raw = bool(RAW.search(vi) or RAW.search(en))
                english = not VIETNAMESE.search(vi)
                nowhere = not finding.get("element")
                counts["raw engine or Python text"] += raw
                counts["not in Vietnamese"] += english
                counts["naming no element"] += nowhere
                if args.show and (args.show == code or (args.show == "raw" and raw)
                                  or (args.show == "english" and english) or (args.show == "nowhere" and nowhere)):
                    shown.append(f"{name}: [{code}] {vi}")

    print(f"corpus: {args.corpus} — {len(files)} BPMN files, each as the diagram of '{PROCEDURE}'")
    print("drafts:")
    for kind, n in outcomes.most_common():
        print(f"  {n:5d}  {kind}")
    print("findings (POST /procedures/validate):")
    for what in ("files with findings", "findings", "not in Vietnamese", "raw engine or Python text",
                 "naming no element"):
        print(f"  {counts[what]:5d}  {what}")
    print("findings by code:")
    for code, n in codes.most_common():
        print(f"  {n:5d}  {code}")
    for line in shown:
        print(line)


if __name__ == "__main__":
    main()
