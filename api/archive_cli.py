"""`motcua archive`: verify a package (exit 0 when every check passes, 1 when one fails, 2 for a file that is no
package), make one now for an ended dossier, list the packages (those past their retention with --expired)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sqlalchemy import select

from engine.archive.config import ArchiveSettings
from engine.archive.package import sha256
from engine.archive.reading import list_packages, mark_verified
from engine.archive.service import archiver_for, make_for
from engine.archive.zipsafe import NotAPackage
from engine.config import Settings
from engine.dossiers.models import Dossier
from engine.runtime import Runtime
from engine.time.clock import LOCAL_TZ

from .procedures_cli import acting

log = logging.getLogger(__name__)


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    from engine.archive.verify import verify_package
    from engine.signing.config import SigningSettings

    archive = ArchiveSettings.from_env()
    path = Path(args.package)
    try:
        if path.stat().st_size > archive.max_bytes:
            raise NotAPackage("too-large", f"Tệp lớn hơn {archive.max_bytes // (1024 * 1024)} MB.")
        data = path.read_bytes()
        report = verify_package(data, SigningSettings.from_env(), archive.max_bytes)
    except OSError:
        print(f"[LỖI] Không đọc được tệp {path}.")
        return 2
    except NotAPackage as exc:
        print(f"[LỖI] {path}: không phải gói lưu trữ hồ sơ. {exc.message_vi}")
        return 2
    print(f"Gói lưu trữ hồ sơ {report.manifest.get('dossier', '?')} ({path.name}):")
    for check in report.checks:
        print(f"  [{'ĐẠT' if check.ok else 'KHÔNG ĐẠT'}] {check.message}")
    failed = sum(not check.ok for check in report.checks)
    if failed:
        print(f"Gói lưu trữ KHÔNG hợp lệ: {failed} kiểm tra không đạt.")
        return 1
    print("Gói lưu trữ hợp lệ: mọi tệp khớp manifest, manifest được đơn vị ký và còn nguyên vẹn.")
    if not args.no_record:
        _record_verified(settings, sha256(data))
    return 0


def _record_verified(settings: Settings, digest: str) -> None:
    try:
        with Runtime.from_settings(settings).uow() as uow:
            code = mark_verified(uow, digest)
    except Exception as exc:  # no database at hand: the check stands on its own
        log.warning("archive verify: the check was not recorded (%s)", type(exc).__name__)
        return
    if code:
        print(f"Đã ghi nhận lần kiểm tra vào gói lưu trữ của hồ sơ {code}.")


def cmd_make(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime.from_settings(settings)
    with runtime.uow() as uow:
        dossier_id = uow.session.scalar(select(Dossier.id).where(Dossier.code == args.code))
        actor = acting(uow, args.as_user) if args.as_user else None
    if dossier_id is None:
        print(f"Không có hồ sơ {args.code}.")
        return 2
    made = make_for(runtime.uow, archiver_for(settings), dossier_id, actor)
    print(f"Đã lập gói lưu trữ hồ sơ {made.dossier_code}: {made.path} ({made.size} byte, SHA-256 {made.sha256}).")
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    with Runtime.from_settings(settings).uow() as uow:
        rows = list_packages(uow, expired=args.expired)
    for row in rows:
        print(f"{row.dossier_code}\t{row.state}\t{row.created_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}\t"
              f"giữ đến {row.keep_until.astimezone(LOCAL_TZ):%Y-%m-%d}\t{row.size}\t{row.sha256}")
    print(f"{len(rows)} gói lưu trữ")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    archive = sub.add_parser("archive", help="dossiers' archive packages").add_subparsers(dest="action",
                                                                                         required=True)
    verify = archive.add_parser("verify", help="check a package: hashes, manifest signature, result signatures "
                                "(exit 0 valid, 1 invalid, 2 not a package)")
    verify.add_argument("package", help="the .zip file")
    verify.add_argument("--no-record", action="store_true", help="do not record the check in the database")
    verify.set_defaults(func=cmd_verify)
    make = archive.add_parser("make", help="make an ended dossier's package now")
    make.add_argument("code", help="the dossier's code")
    make.add_argument("--as", dest="as_user", help="the account the package is audited as (default: the system)")
    make.set_defaults(func=cmd_make)
    listing = archive.add_parser("list", help="the packages (dossier, state, made, keep until, size, SHA-256)")
    listing.add_argument("--expired", action="store_true", help="only those past their retention, not yet purged")
    listing.set_defaults(func=cmd_list)
