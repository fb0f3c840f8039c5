"""`motcua`: the one console script for every operator task."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from engine.config import Settings
from engine.people.models import User
from engine.people.organisation import create_user, load_organisation
from engine.procedures.catalog import load_folder
from engine.runtime import Runtime
from engine.store.db import make_engine, make_session_factory
from engine.store.migrate import upgrade
from engine.store.uow import UnitOfWork
from engine.time.calendar_store import load_file_overrides

from .archive_cli import add_commands as add_archive_commands
from .catalogue_cli import add_commands as add_catalogue_commands
from .connectors_cli import cmd_connectors_check, cmd_standin, start_standins
from .job_wiring import wired_job_context
from .portal_cli import add_commands as add_portal_commands
from .procedures_cli import acting
from .procedures_cli import add_commands as add_procedure_commands
from .users_cli import add_commands as add_user_commands

DEMO_ACCOUNTS = (  # (username, full name, unit, roles) in the units of config/organisation.toml
    ("tiepnhan", "Nguyễn Thị Tiếp Nhận", "CM-AX", ["reception"]),
    ("chuyenvien", "Trần Văn Chuyên Viên", "CM-AX", ["specialist"]),
    ("lanhdao", "Lê Minh Lãnh Đạo", "CM-AX", ["leader"]),
    ("quantri", "Phạm Quản Trị", "CM", ["admin", "designer", "reform_officer", "leader"]),
)


def _session(settings: Settings):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(settings.database_url))()


def _uow(settings: Settings) -> UnitOfWork:
    return Runtime.from_settings(settings).uow()


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    if settings.database_url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(settings.database_url.removeprefix("sqlite:///")) or ".", exist_ok=True)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_procedures_load(settings: Settings, args: argparse.Namespace) -> int:
    processes = args.dir or settings.processes_dir
    with _uow(settings) as uow:
        report = load_folder(uow.session, uow.cache, processes, settings.forms_dir)
        for code, number in report.created:
            uow.record(None, "procedure_version_created", "procedure", code, after={"version": number},
                       detail={"by": "motcua procedures load", "dir": str(processes)})
        uow.commit()
    for code, number in report.created:
        print(f"loaded {code}: new version {number}")
    for code in report.unchanged:
        print(f"unchanged {code}")
    for code, problems in report.failed.items():
        print(f"FAILED {code}:", file=sys.stderr)
        for problem in problems:
            print(f"  [{problem.code}] {problem.message}", file=sys.stderr)
    return 1 if report.failed else 0


def cmd_procedure_validate(settings: Settings, args: argparse.Namespace) -> int:
    """The same checks as the API, for a procedure repository's CI: exit 1 when there are errors."""
    from engine.procedures.packages import read_package
    from engine.reform.validation import has_errors, validate_package

    findings = validate_package(read_package(args.dir, args.forms or settings.forms_dir))
    for f in findings:
        where = f" [{f.element}]" if f.element else ""
        print(f"{f.severity.upper():7s} {f.code}{where}: {f.message_en if args.english else f.message_vi}")
    print(f"{args.dir.name}: {len(findings)} problem(s)" if findings else f"{args.dir.name}: valid")
    return 1 if has_errors(findings) else 0


def cmd_procedure_diff(settings: Settings, args: argparse.Namespace) -> int:
    """Compare two procedure folders (e.g. the published one and a reform draft) as the API does."""
    from engine.procedures.packages import read_package
    from engine.procedures.specs import compile_package
    from engine.reform.diff import describe, diff

    forms = args.forms or settings.forms_dir
    change = diff(compile_package(read_package(args.old, forms)), compile_package(read_package(args.new, forms)))
    lines = describe(change)["en" if args.english else "vi"]
    print("\n".join(f"- {line}" for line in lines) if lines else "no change")
    return 0


def cmd_procedure_publish(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.drafts import publish

    with _uow(settings) as uow:
        version = publish(uow, acting(uow, args.as_user), args.code, args.version, args.note,
                          approval_required=settings.publish_approval)
    print(f"{args.code}: version {version.number} published")
    return 0


def cmd_procedure_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from engine.reform.migration import migrate

    with _uow(settings) as uow:
        report = migrate(uow, acting(uow, args.as_user), args.code, args.to,
                         args.dossier or None, dry_run=not args.apply)
    verb = "moved" if args.apply else "can move"
    print(f"{verb}: {', '.join(report.moved if args.apply else report.movable) or 'none'}")
    for blocked in report.blocked:
        print(f"cannot move {blocked['dossier']}: {blocked['reason']}")
    return 0


def cmd_calendar_load(settings: Settings, args: argparse.Namespace) -> int:
    with _session(settings) as session:
        count = load_file_overrides(session, settings.calendar_file)
        session.commit()
    print(f"calendar: {count} override(s) from {settings.calendar_file}")
    return 0


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    password = os.environ.get("MOTCUA_PASSWORD") or getpass.getpass("Password: ")
    memberships = []
    for member in args.member:
        unit, _, role = member.partition(":")
        memberships.append((unit, role))
    with _uow(settings) as uow:
        user = create_user(uow.session, args.username, password, args.full_name or args.username, memberships)
        uow.record(None, "user_created", "user", user.id, after={"username": user.username,
                   "memberships": [list(m) for m in memberships]}, detail={"by": "motcua user create"})
        uow.commit()
        print(f"created user {user.username} (id {user.id}): {', '.join(args.member)}")
    return 0


def cmd_org_load(settings: Settings, args: argparse.Namespace) -> int:
    with _uow(settings) as uow:
        counts = load_organisation(uow.session, args.file)
        uow.record(None, "organisation_loaded", "unit", None, detail={"file": str(args.file), **counts})
        uow.commit()
    print(f"organisation: {counts['units']} unit(s), {counts['roles']} role(s) from {args.file}")
    return 0


def cmd_tasks_recount(settings: Settings, args: argparse.Namespace) -> int:
    from engine.work.counts import recount

    with _uow(settings) as uow:
        recount(uow.session)
        uow.session.commit()
    print("open-task counts rebuilt from the tasks")
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from engine.store.checkpoints import verify_trail

    with _uow(settings) as uow:
        result = verify_trail(uow.session, uow.audit_keys, uow.checkpoint_file)
    if result.ok:
        print(f"audit chain intact: {result.checked} entries ({result.legacy_until} from before the key), "
              f"{result.checkpoints} checkpoint(s) matched in {settings.audit_checkpoint_file}")
        if result.last_checkpoint is None:
            print("warning: no checkpoint yet: removing the newest entries could not be detected "
                  "(motcua audit checkpoint)", file=sys.stderr)
        return 0
    where = f" at entry {result.broken_at}" if result.broken_at is not None else ""
    print(f"AUDIT CHAIN BROKEN{where} [{result.code}]: {result.reason} ({result.checked} entries before it are "
          "intact)", file=sys.stderr)
    return 1


def cmd_audit_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    from engine.scheduling.audit_export import export_checkpoint

    with _uow(settings) as uow:
        result, checkpoint = export_checkpoint(uow, settings.webhook_url)
    if not result.ok:
        print(f"AUDIT CHAIN BROKEN at entry {result.broken_at} [{result.code}]: {result.reason}; no checkpoint "
              "written", file=sys.stderr)
        return 1
    if checkpoint is None:
        print(f"no new entries since the last checkpoint (entry {result.checked})")
    else:
        print(f"checkpoint of entry {checkpoint.seq} appended to {settings.audit_checkpoint_file}"
              + (" and queued for the webhook" if settings.webhook_url else ""))
    return 0


def cmd_users_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Demo officers for a fresh development database; does nothing once any account exists."""
    with _uow(settings) as uow:
        session = uow.session
        if session.scalar(select(func.count()).select_from(User)):
            return 0
        load_organisation(session, settings.organisation_file)
        lines = []
        for username, full_name, unit, roles in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user = create_user(session, username, password, full_name, [(unit, role) for role in roles])
            uow.record(None, "user_created", "user", user.id, detail={"by": "motcua user seed-demo"})
            lines.append(f"{username}\t{password}\t{unit}\t{','.join(roles)}")
        uow.commit()
    path = settings.processes_dir.parent / "var" / "demo-accounts.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    print(f"demo accounts (username, password, unit, roles) written to {path}:")
    print("\n".join(lines))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """The web server, and (unless told not to) the scheduler beside it as a supervised child process."""
    if args.standins:
        start_standins()
    host, port = args.host or settings.host, args.port or settings.port
    workers = args.workers or settings.workers
    if args.no_scheduler or not settings.scheduler:
        from api.serving.web import run_web

        run_web(settings, f"{host}:{port}", workers)
        return 0
    from api.serving.supervisor import supervise

    me = [sys.executable, "-m", "api.cli"]
    web = [*me, "serve", "--no-scheduler", "--host", host, "--port", str(port), "--workers", str(workers)]
    return supervise(web, [*me, "scheduler"])


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    """The scheduler in this process until SIGTERM or Ctrl-C; exits 1 if a job thread ever dies (a supervisor,
    `motcua serve` or docker's restart policy, then starts a fresh one)."""
    import logging
    import signal
    import threading

    from api.serving.supervisor import SUPERVISOR_ENV
    from engine.scheduling.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler[%(process)d] %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    supervisor = os.environ.get(SUPERVISOR_ENV)

    def still_wanted() -> bool:  # started by `motcua serve`: not once that process is gone
        return supervisor is None or str(os.getppid()) == supervisor

    print("scheduler running (timers, escalation sweep, outbox delivery, count folding); Ctrl-C stops it",
          flush=True)
    return build_scheduler(settings, wired_job_context(settings)).serve(stop, still_wanted)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Motcua operator commands")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (gunicorn) and the scheduler beside it")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="gunicorn worker processes (MOTCUA_WORKERS, 2)")
    serve.add_argument("--no-scheduler", action="store_true", help="run the scheduler elsewhere (motcua scheduler)")
    serve.add_argument("--standins", action="store_true",
                       help="development: start a stand-in for each connector not configured (e.g. MOTCUA_SMS_URL "
                            "unset)")
    serve.set_defaults(func=cmd_serve)

    conn = sub.add_parser("connectors", help="external systems").add_subparsers(dest="action", required=True)
    conn_check = conn.add_parser("check", help="each connector's health; exit 1 when a configured one fails")
    conn_check.set_defaults(func=cmd_connectors_check)

    standin = sub.add_parser("standin", help="run a connector's stand-in server (development, tests)")
    standin.add_argument("system", help="the connector, e.g. sms")
    standin.add_argument("--host", default="127.0.0.1")
    standin.add_argument("--port", type=int, default=8025)
    standin.set_defaults(func=cmd_standin)

    sched = sub.add_parser("scheduler", help="run the scheduler on its own (timers, escalations, outbox)")
    sched.set_defaults(func=cmd_scheduler)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    procs = sub.add_parser("procedures", help="procedure packages").add_subparsers(dest="action",
                                                                                  required=True)
    load = procs.add_parser("load", help="load processes/ into versions (only changed content)")
    load.add_argument("--dir", type=Path)
    load.set_defaults(func=cmd_procedures_load)
    add_procedure_commands(procs)

    proc = sub.add_parser("procedure", help="one procedure package").add_subparsers(dest="action", required=True)
    validate = proc.add_parser("validate", help="check a procedure folder; exit 1 on errors")
    validate.add_argument("dir", type=Path)
    validate.add_argument("--forms", type=Path)
    validate.add_argument("--english", action="store_true")
    validate.set_defaults(func=cmd_procedure_validate)

    difference = proc.add_parser("diff", help="what changes between two procedure folders")
    difference.add_argument("old", type=Path)
    difference.add_argument("new", type=Path)
    difference.add_argument("--forms", type=Path)
    difference.add_argument("--english", action="store_true")
    difference.set_defaults(func=cmd_procedure_diff)

    pub = proc.add_parser("publish", help="publish a draft version")
    pub.add_argument("code")
    pub.add_argument("version", type=int)
    pub.add_argument("--note", required=True, help="why: the reform decision")
    pub.add_argument("--as", dest="as_user", required=True, help="the account publishing (audited)")
    pub.set_defaults(func=cmd_procedure_publish)
    mig = proc.add_parser("migrate", help="move running dossiers to a published version (dry run unless --apply)")
    mig.add_argument("code")
    mig.add_argument("--to", type=int, required=True)
    mig.add_argument("--dossier", action="append", help="only these dossiers (repeatable)")
    mig.add_argument("--apply", action="store_true")
    mig.add_argument("--as", dest="as_user", required=True, help="the account moving them (audited)")
    mig.set_defaults(func=cmd_procedure_migrate)

    cal = sub.add_parser("calendar", help="working calendar").add_subparsers(dest="action", required=True)
    cal_load = cal.add_parser("load", help="store the overrides of MOTCUA_CALENDAR_FILE (API changes win)")
    cal_load.set_defaults(func=cmd_calendar_load)

    org = sub.add_parser("org", help="organisation").add_subparsers(dest="action", required=True)
    org_load = org.add_parser("load", help="load units (and roles) from a TOML file")
    org_load.add_argument("file", nargs="?", type=Path, default=Settings().organisation_file)
    org_load.set_defaults(func=cmd_org_load)

    tasks = sub.add_parser("tasks", help="the task projection").add_subparsers(dest="action", required=True)
    recount = tasks.add_parser("recount", help="rebuild the open-task counts per unit and role from the tasks")
    recount.set_defaults(func=cmd_tasks_recount)

    audit = sub.add_parser("audit", help="audit trail").add_subparsers(dest="action", required=True)
    audit_verify = audit.add_parser("verify", help="check the keyed hash chain against the signed checkpoints; "
                                                   "exit 1 if it was tampered with")
    audit_verify.set_defaults(func=cmd_audit_verify)
    audit_checkpoint = audit.add_parser("checkpoint", help="verify what is new and append a signed checkpoint of "
                                                           "the chain's head to MOTCUA_AUDIT_CHECKPOINT_FILE")
    audit_checkpoint.set_defaults(func=cmd_audit_checkpoint)

    users = sub.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a local account (password from MOTCUA_PASSWORD "
                                             "or a prompt)")
    create.add_argument("username")
    create.add_argument("--full-name")
    create.add_argument("--member", action="append", required=True, metavar="UNIT:ROLE",
                        help="a membership, e.g. CM-AX:reception (repeatable)")
    create.set_defaults(func=cmd_user_create)
    seed = users.add_parser("seed-demo", help="create demo officers if the database has no account")
    seed.set_defaults(func=cmd_users_seed_demo)
    add_user_commands(users)
    add_portal_commands(sub.add_parser("portal", help="the national public service portal")
                        .add_subparsers(dest="action", required=True))
    add_catalogue_commands(sub)
    add_archive_commands(sub)
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
