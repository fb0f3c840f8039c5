"""`motcua portal resync`: queue a fresh message with the current state of dossiers for the national portal (the
ones whose latest message failed, those changed since a date, or named ones), as a leader does from the pages.
Run as the system (audited without an account), or `--as` an account. The scheduler's "portal" job sends them."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time

from engine.config import Settings
from engine.runtime import Runtime
from engine.sync.state import MAX_RESEND, resend, select_for_resync
from engine.time.clock import LOCAL_TZ

from .procedures_cli import acting


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time(), LOCAL_TZ)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def cmd_resync(settings: Settings, args: argparse.Namespace) -> int:
    with Runtime.from_settings(settings).uow() as uow:
        codes = list(args.code or [])
        if args.failed or args.since:
            codes += select_for_resync(uow, failed_only=args.failed, since=args.since)
        codes = list(dict.fromkeys(codes))
        if not codes:
            print("nothing to re-send (name dossiers with --code, or use --failed / --since)")
            return 0 if (args.failed or args.since) else 2
        actor = acting(uow, args.as_user) if args.as_user else None
        done = 0
        for start in range(0, len(codes), MAX_RESEND):  # one transaction per batch
            done += len(resend(uow, actor, codes[start:start + MAX_RESEND]))
    print(f"{done} dossiers queued for the portal")
    return 0


def add_commands(portal: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    resync = portal.add_parser("resync", help="queue a fresh message with each dossier's current state")
    resync.add_argument("--code", action="append", help="a dossier code (repeatable)")
    resync.add_argument("--failed", action="store_true", help="the dossiers whose latest message failed")
    resync.add_argument("--since", type=_day, help="the dossiers changed since this local day (YYYY-MM-DD)")
    resync.add_argument("--as", dest="as_user", help="the account the re-send is audited as (default: the system)")
    resync.set_defaults(func=cmd_resync)
