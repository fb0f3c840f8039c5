"""A password someone else chose, and the officer's own new one.

A password an administrator sets (a reset, an account it creates, `motcua user reset-password`) has been known
to someone other than the officer: the account is marked and the officer replaces it at the next sign-in,
before any other page or API call (PasswordChangeRequired, 403). Passwords the officer sets, and the accounts
the CLI seeds for a demo or a test, are not marked. Changing one's own password needs the current one; wrong
guesses are counted per account (a stolen session does not get unlimited tries at the password).
"""

from __future__ import annotations

from datetime import timedelta

from engine.errors import PasswordChangeRequired, ValidationFailed
from engine.store.throttle import blocked_until, count_event, forget, refusal
from engine.store.uow import UnitOfWork

from .actors import Actor
from .models import User
from .passwords import check_password, hash_password, verify_password

WINDOW = timedelta(minutes=15)
MAX_WRONG_CURRENT = 5  # wrong current passwords per account and window


def set_by_administrator(user: User, password: str) -> None:
    """Another person chose (or was shown) this password: the officer must replace it."""
    check_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = True


def require_own_password(actor: Actor) -> None:
    """For every API call and page but signing out and the change itself."""
    if actor.must_change_password:
        raise PasswordChangeRequired("change the password an administrator set before doing anything else: "
                                     "POST /api/v1/me/password, or sign in on the web pages")


def change_own_password(uow: UnitOfWork, actor: Actor, current: str, new: str, repeat: str) -> None:
    """The officer's own new password: the current one, the same rule as every password, typed twice, and not
    the current one again. Every problem is a field error; nothing is changed unless all hold. Audited without
    either password."""
    user = uow.session.get(User, actor.user_id)
    assert user is not None  # the actor was read from it in this request
    now, key = uow.clock(), f"password-change:{actor.user_id}"
    until = blocked_until(uow, key, MAX_WRONG_CURRENT, WINDOW, now)
    if until is not None:
        raise refusal("too many wrong current passwords; try again later", until, now)
    if not verify_password(current, user.password_hash):
        count_event(uow, key, WINDOW, now)
        uow.commit()  # the guess counts even though the change fails
        raise ValidationFailed("wrong current password", {"current_password": ["Wrong password."]})
    errors: dict[str, list[str]] = {}
    try:
        check_password(new)
    except ValidationFailed as exc:
        errors["new_password"] = exc.errors["password"]
    if not errors and new == current:
        errors["new_password"] = ["Not the current password."]
    if new != repeat:
        errors["repeat_password"] = ["The two passwords differ."]
    if errors:
        raise ValidationFailed("invalid new password", errors)
    user.password_hash = hash_password(new)
    was_required = user.must_change_password
    user.must_change_password = False
    forget(uow, key)
    uow.record(actor, "password_changed", "user", actor.user_id, detail={"required": was_required})
    uow.commit()
