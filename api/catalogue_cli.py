"""`motcua catalogue import`: national procedure records (a JSON file, or the portal's LayThuTuc /
LayDanhSachTTHC) as procedure drafts; `motcua catalogue folder`: records written as procedure folders (how the
shipped procedures in processes/ were made from the sample catalogue)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.runtime import Runtime

from .procedures_cli import acting

STATUS_TEXT = {"created": "new procedure, draft", "new_draft": "new draft", "unchanged": "unchanged",
               "draft_open": "draft open, not overwritten", "refused": "refused"}


def read_file(path: Path) -> Any:
    from engine.reform.catalogue import MAX_CATALOGUE_BYTES

    if path.stat().st_size > MAX_CATALOGUE_BYTES:
        raise SystemExit(f"error: {path} is larger than {MAX_CATALOGUE_BYTES // (1024 * 1024)} MB")
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise SystemExit(f"error: {path} is not JSON: {exc}") from None


def portal_records(codes: list[str]) -> list[Any] | None:
    """The records from the national portal, None when it is not configured; called before any transaction
    opens. LayDanhSachTTHC may list only codes and names: a listed procedure without its channels is read whole
    with LayThuTuc."""
    from connectors.portal.client import client_from_env

    client = client_from_env()
    if client is None:
        return None
    if codes:
        return [client.procedure(code) for code in codes]
    listed = list(client.procedures())
    return [r if not isinstance(r, dict) or "CACHTHUCTHUCHIEN" in r or not r.get("MATTHC")
            else client.procedure(str(r["MATTHC"])) for r in listed]


def from_portal(codes: list[str]) -> list[Any]:
    records = portal_records(codes)
    if records is None:
        raise SystemExit("error: the portal is not configured (MOTCUA_PORTAL_URL)")
    return records


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.catalogue import RecordsInvalid, import_records

    if (args.file is None) == (not args.from_portal):
        raise SystemExit("error: give a FILE or --from-portal (one of them)")
    records = from_portal(args.code or []) if args.from_portal else read_file(args.file)
    with Runtime.from_settings(settings).uow() as uow:
        try:
            outcomes = import_records(uow, acting(uow, args.as_user), records, args.code)
        except RecordsInvalid as exc:
            raise SystemExit(f"error: {exc.en}") from None
    for o in outcomes:
        where = f" {o.code} v{o.version}" if o.code and o.version else ""
        diff = f" (diff: /designer/{o.code}/diff?from={o.diff_from}&to={o.version})" if o.diff_from else ""
        reason = f": {o.reason_en}" if o.reason_en else ""
        print(f"{o.national_code or '?'}: {STATUS_TEXT[o.status]}{where}{diff}{reason}")
    return 1 if any(o.status == "refused" for o in outcomes) else 0


def cmd_folder(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.catalogue import load_mapping, motcua_code, package_for
    from engine.reform.catalogue_records import RecordRefused, facts_from_record

    mapping = load_mapping()
    records = [r for r in read_file(args.file) if isinstance(r, dict) and r.get("MATTHC") in set(args.code)]
    for record in records:
        try:
            facts = facts_from_record(record, mapping)
        except RecordRefused as exc:
            raise SystemExit(f"error: {record.get('MATTHC')}: {exc.en}") from None
        package = package_for(facts, motcua_code(record["MATTHC"], mapping))
        folder = args.out / package.code
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in package.files.items():
            (folder / name).write_bytes(content)
        for name, form in package.forms.items():
            (args.forms / f"{name}.form").write_text(json.dumps(form, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"{record['MATTHC']}: {folder}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cat = sub.add_parser("catalogue", help="the national procedure catalogue").add_subparsers(dest="action",
                                                                                              required=True)
    imp = cat.add_parser("import", help="records of the national database as procedure drafts")
    imp.add_argument("file", type=Path, nargs="?", help="a JSON list of records (LayThuTuc's format)")
    imp.add_argument("--from-portal", action="store_true", help="read the records from the national portal")
    imp.add_argument("--code", action="append", metavar="MATTHC", help="only these national codes (repeatable)")
    imp.add_argument("--as", dest="as_user", required=True, help="the reform officer's username (audited)")
    imp.set_defaults(func=cmd_import)
    folder = cat.add_parser("folder", help="write records as procedure folders (processes/<code>, forms/)")
    folder.add_argument("file", type=Path)
    folder.add_argument("--code", action="append", required=True, metavar="MATTHC")
    folder.add_argument("--out", type=Path, default=Path("processes"))
    folder.add_argument("--forms", type=Path, default=Path("forms"))
    folder.set_defaults(func=cmd_folder)
