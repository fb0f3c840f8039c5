"""`motcua procedures export / import`: a version as its folder in a .zip, and a .zip back as a draft, for teams
that keep procedures in version control (the same checks as the designer's pages and the API)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from engine.config import Settings
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.organisation import actor_for
from engine.procedures.archive import MAX_ARCHIVE_BYTES, export_archive
from engine.runtime import Runtime
from engine.store.uow import UnitOfWork


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.drafts import package_of, version_row

    with Runtime.from_settings(settings).uow() as uow:
        data = export_archive(package_of(version_row(uow, args.code, args.version)))
    out: Path = args.out or Path(f"{args.code}-v{args.version}.zip")
    out.write_bytes(data)
    print(f"{args.code}: version {args.version} exported to {out}")
    return 0


def acting(uow: UnitOfWork, username: str) -> Actor:
    """The account a command acts and is audited as (`--as`: publish, migrate, import)."""
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise SystemExit(f"error: no account '{username}'")
    return actor_for(uow.session, uow.org, user.id)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.creation import import_archive

    path: Path = args.file
    if path.stat().st_size > MAX_ARCHIVE_BYTES:
        raise SystemExit(f"error: {path} is larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB")
    with Runtime.from_settings(settings).uow() as uow:
        version, findings, new = import_archive(uow, acting(uow, args.as_user), path.read_bytes(),
                                                args.note, replace_draft=args.replace)
        code, number = version.procedure_code, version.number
    errors = sum(f.severity == "error" for f in findings)
    print(f"{code}: {'new procedure, ' if new else ''}draft version {number} ({errors} validation errors)")
    return 0


def add_commands(procs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = procs.add_parser("export", help="write a version as its folder in a .zip")
    export.add_argument("code")
    export.add_argument("version", type=int)
    export.add_argument("--out", type=Path, help="the .zip to write (default: <code>-v<version>.zip)")
    export.set_defaults(func=cmd_export)
    imp = procs.add_parser("import", help="store a .zip made by export as a new draft (or a new procedure)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--as", dest="as_user", required=True, help="the designer's username (audited)")
    imp.add_argument("--note", default="")
    imp.add_argument("--replace", action="store_true",
                     help="replace the procedure's open draft (refused without it: someone's unpublished work)")
    imp.set_defaults(func=cmd_import)
