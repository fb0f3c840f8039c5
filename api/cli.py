"""`motcua`: the one console script for every operator task."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Sequence

from sqlalchemy import func, select

from engine.calendar_store import load_file_overrides
from engine.catalog import SpecCache, load_folder
from engine.config import Settings
from engine.db import make_engine, make_session_factory
from engine.migrate import upgrade
from engine.models import User
from engine.users import create_user

DEMO_ACCOUNTS = (
    ("tiepnhan", "Nguyễn Thị Tiếp Nhận", ["reception"]),
    ("chuyenvien", "Trần Văn Chuyên Viên", ["specialist"]),
    ("lanhdao", "Lê Minh Lãnh Đạo", ["leader"]),
    ("quantri", "Phạm Quản Trị", ["admin", "designer", "reform_officer"]),
)


def _session(settings: Settings):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(settings.database_url))()


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    if settings.database_url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(settings.database_url.removeprefix("sqlite:///")) or ".", exist_ok=True)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_procedures_load(settings: Settings, args: argparse.Namespace) -> int:
    processes = args.dir or settings.processes_dir
    with _session(settings) as session:
        report = load_folder(session, SpecCache(), processes, settings.forms_dir)
        session.commit()
    for code, number in report.created:
        print(f"loaded {code}: new version {number}")
    for code in report.unchanged:
        print(f"unchanged {code}")
    for code, problems in report.failed.items():
        print(f"FAILED {code}:", file=sys.stderr)
        for problem in problems:
            print(f"  [{problem.code}] {problem.message}", file=sys.stderr)
    return 1 if report.failed else 0


def cmd_calendar_load(settings: Settings, args: argparse.Namespace) -> int:
    with _session(settings) as session:
        count = load_file_overrides(session, settings.calendar_file)
        session.commit()
    print(f"calendar: {count} override(s) from {settings.calendar_file}")
    return 0


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    password = os.environ.get("MOTCUA_PASSWORD") or getpass.getpass("Password: ")
    with _session(settings) as session:
        user = create_user(session, args.username, password, args.full_name or args.username,
                           args.role, args.unit)
        session.commit()
        print(f"created user {user.username} (id {user.id}) with roles {', '.join(user.roles)}")
    return 0


def cmd_users_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Demo officers for a fresh development database; does nothing once any account exists."""
    with _session(settings) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return 0
        lines = []
        for username, full_name, roles in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            create_user(session, username, password, full_name, roles, None)
            lines.append(f"{username}\t{password}\t{','.join(roles)}")
        session.commit()
    path = settings.processes_dir.parent / "var" / "demo-accounts.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    print(f"demo accounts (username, password, roles) written to {path}:")
    print("\n".join(lines))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from api import create_app

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host or settings.host}:{args.port or settings.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("accesslog", "-")

        def load(self):  # type: ignore[no-untyped-def]
            return create_app(settings)

    _App().run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Motcua operator commands")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (gunicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("MOTCUA_WORKERS", "2")))
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    procs = sub.add_parser("procedures", help="procedure packages").add_subparsers(dest="action",
                                                                                  required=True)
    load = procs.add_parser("load", help="load processes/ into versions (only changed content)")
    load.add_argument("--dir", type=lambda p: __import__("pathlib").Path(p))
    load.set_defaults(func=cmd_procedures_load)

    cal = sub.add_parser("calendar", help="working calendar").add_subparsers(dest="action", required=True)
    cal_load = cal.add_parser("load", help="store the overrides of MOTCUA_CALENDAR_FILE (API changes win)")
    cal_load.set_defaults(func=cmd_calendar_load)

    users = sub.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a local account (password from MOTCUA_PASSWORD "
                                             "or a prompt)")
    create.add_argument("username")
    create.add_argument("--full-name")
    create.add_argument("--role", action="append", required=True)
    create.add_argument("--unit")
    create.set_defaults(func=cmd_user_create)
    seed = users.add_parser("seed-demo", help="create demo officers if the database has no account")
    seed.set_defaults(func=cmd_users_seed_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from engine.errors import MotcuaError

    try:
        return args.func(Settings(), args)
    except MotcuaError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
