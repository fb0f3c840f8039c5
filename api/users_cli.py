"""`motcua user reset-password`: for an officer locked out with no administrator at hand (or the last
administrator itself). The temporary password is printed once and the account must change it at the next
sign-in, as when an administrator resets it on the pages."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from engine.config import Settings
from engine.people.models import User
from engine.people.password_change import set_by_administrator
from engine.people.passwords import temporary_password
from engine.runtime import Runtime


def cmd_reset_password(settings: Settings, args: argparse.Namespace) -> int:
    with Runtime.from_settings(settings).uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == args.username)).first()
        if user is None:
            raise SystemExit(f"error: no account '{args.username}'")
        password = temporary_password()
        set_by_administrator(user, password)
        # who ran the command is the server's operator, not an account: the entry says it came from the CLI
        uow.record(None, "password_reset", "user", user.id,
                   detail={"generated": True, "by": "motcua user reset-password"})
        uow.commit()
        name = user.username
    print(f"temporary password for {name} (shown once; it must be changed at the next sign-in):")
    print(password)
    return 0


def add_commands(users: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reset = users.add_parser("reset-password", help="set a temporary password, print it once; the officer "
                                                    "must change it at the next sign-in")
    reset.add_argument("username")
    reset.set_defaults(func=cmd_reset_password)
