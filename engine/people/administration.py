"""What the administrators' pages need beyond the API's use cases (accounts.py), with the same rules: checking a
unit's or an account's fields, setting a unit active or not, resetting a password, finding accounts, the roles
with their holders, the working calendar's overrides and the audit chain's state. Each change is audited.

Messages are English, as the engine's are; the pages say them in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.store.audit import Verification
from engine.store.checkpoints import Checkpoint, read_checkpoints
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork
from engine.text import fold
from engine.time.calendar_store import delete_override, set_override
from engine.time.models import CalendarOverride

from .accounts import UNIT_FIELDS, is_top_admin, list_users, manages, may_grant, require_top_admin, verify_chain
from .actors import ORGANISATION_ROLES, Actor
from .models import Membership, Role, Unit, User
from .organisation import LEVELS, memberships_of
from .password_change import set_by_administrator
from .passwords import check_password, temporary_password

UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+(). -]{3,50}$")


def _admin(actor: Actor) -> None:
    if "admin" not in actor.roles:
        raise Forbidden("this needs the administrator role")


# --- units ------------------------------------------------------------------------------------------------
def check_unit(uow: UnitOfWork, code: str, values: dict[str, Any], new: bool) -> None:
    """A unit's fields as a form gives them; every problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    if new and not UNIT_CODE.match(code):
        errors["code"] = ["Letters, digits, dot, dash or underscore; at most 64."]
    elif new and uow.session.get(Unit, code) is not None:
        errors["code"] = ["A unit with this code exists."]
    if not values.get("name") or len(values["name"]) > 300:
        errors["name"] = ["1 to 300 characters."]
    if values.get("level") not in LEVELS:
        errors["level"] = [f"One of: {', '.join(LEVELS)}."]
    if new and not values.get("parent_code"):
        errors["parent_code"] = ["Choose the unit above it."]
    if values.get("phone") and not PHONE.match(values["phone"]):
        errors["phone"] = ["Not a valid phone number."]
    for key, limit in (("address", 500), ("authority", 300)):
        if values.get(key) and len(values[key]) > limit:
            errors[key] = [f"At most {limit} characters."]
    if errors:
        raise ValidationFailed("invalid unit", errors)


def administered_units(uow: UnitOfWork, actor: Actor) -> list[Unit]:
    """The units an administrator administers (its subtree), in tree order of level then code."""
    scope = actor.scope.get("admin", frozenset())
    return list(uow.session.scalars(select(Unit).where(Unit.code.in_(sorted(scope)))
                                    .order_by(Unit.level.desc(), Unit.code)))


def set_unit_active(uow: UnitOfWork, actor: Actor, code: str, active: bool) -> Unit:
    """Open or close a unit (a closed one is no longer offered to citizens); only inside the subtree."""
    _admin(actor)
    unit = uow.session.get(Unit, code)
    if unit is None:
        raise NotFound(f"unit {code} does not exist")
    if not actor.administers(code):
        raise Forbidden(f"unit {code} is outside this administrator's units")
    if unit.parent_code is None and not active:
        raise ValidationFailed("the top unit stays open", {"active": ["The top-level unit cannot be closed."]})
    before = {key: getattr(unit, key) for key in UNIT_FIELDS}
    unit.active = active
    uow.record(actor, "unit_saved", "unit", code, before=before, after={**before, "active": active})
    uow.commit()
    uow.org.invalidate()
    return unit


# --- accounts ---------------------------------------------------------------------------------------------
def check_account(values: dict[str, Any], new: bool) -> None:
    errors: dict[str, list[str]] = {}
    if new and not USERNAME.match(values.get("username") or ""):
        errors["username"] = ["3 to 64 characters: lowercase letters, digits, dot, dash or underscore."]
    if not values.get("full_name") or len(values["full_name"]) > 200:
        errors["full_name"] = ["1 to 200 characters."]
    email = values.get("email")
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["email"] = ["Not a valid email address."]
    if new and values.get("password"):
        try:
            check_password(values["password"])
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed("invalid account", errors)


@dataclass(frozen=True)
class AccountRow:
    user: User
    memberships: list[tuple[str, str]]
    manageable: bool  # this administrator may change the account


def find_accounts(uow: UnitOfWork, actor: Actor, unit: str | None = None, query: str = "") -> list[AccountRow]:
    """The accounts an administrator sees (list_users' rule), searched by username, name or e-mail with case
    and Vietnamese diacritics ignored ("nguyen van" finds "Nguyễn Văn")."""
    _admin(actor)
    wanted = fold(query)
    rows = []
    for user, memberships in list_users(uow, actor, unit):
        text = fold(" ".join(filter(None, (user.username, user.full_name, user.email))))
        if wanted and not all(word in text for word in wanted.split()):
            continue
        rows.append(AccountRow(user, memberships, manages(actor, memberships)))
    return rows


def managed_account(uow: UnitOfWork, actor: Actor, user_id: int) -> AccountRow:
    """An account this administrator may change (403 otherwise, 404 when there is none)."""
    _admin(actor)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    memberships = memberships_of(uow.session, user_id)
    if not manages(actor, memberships):
        raise Forbidden("this account holds roles beyond this administrator's units")
    return AccountRow(user, memberships, True)


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int, password: str | None = None) -> str:
    """Set a new password (the administrator's, or a generated temporary one, returned to be shown once); the
    officer must change it at the next sign-in. The audit entry says who reset whose password, never the
    password."""
    row = managed_account(uow, actor, user_id)
    chosen = password or temporary_password()
    set_by_administrator(row.user, chosen)
    uow.record(actor, "password_reset", "user", user_id, detail={"generated": not password})
    uow.commit()
    return chosen


def grantable_roles(uow: UnitOfWork, actor: Actor) -> list[Role]:
    """The roles this administrator may grant somewhere in its units."""
    units = sorted(actor.scope.get("admin", frozenset()))
    roles = uow.session.scalars(select(Role).order_by(Role.code))
    return [role for role in roles if any(may_grant(actor, unit, role.code) for unit in units)]


# --- roles ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleRow:
    role: Role
    holders: int  # active accounts holding it in the administrator's units
    organisation_wide: bool  # granted only by an administrator of a top-level unit


def role_holders(uow: UnitOfWork, actor: Actor) -> list[RoleRow]:
    _admin(actor)
    units = sorted(actor.scope.get("admin", frozenset()))
    counts = dict(uow.session.execute(
        select(Membership.role_code, func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.unit_code.in_(units), User.active.is_(True)).group_by(Membership.role_code)).all())
    return [RoleRow(role, counts.get(role.code, 0), role.code in ORGANISATION_ROLES)
            for role in uow.session.scalars(select(Role).order_by(Role.code))]


# --- the working calendar ---------------------------------------------------------------------------------
def set_calendar_day(uow: UnitOfWork, actor: Actor, day: date, working: bool, note: str) -> CalendarOverride:
    """A local override: the date becomes a day off or a working day; deadlines count it at once."""
    require_top_admin(actor)  # one calendar for the whole organisation
    row = set_override(uow.session, day, working, note.strip(), actor.user_id, uow.clock())
    uow.record(actor, "calendar_override_set", "calendar", day.isoformat(),
               after={"working": row.working, "name": row.name})
    uow.commit()
    uow.calendars.invalidate()
    return row


def clear_calendar_day(uow: UnitOfWork, actor: Actor, day: date) -> None:
    require_top_admin(actor)
    delete_override(uow.session, day)
    uow.record(actor, "calendar_override_removed", "calendar", day.isoformat())
    uow.commit()
    uow.calendars.invalidate()


def may_change_calendar(actor: Actor) -> bool:
    return is_top_admin(actor)


# --- the audit chain --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainState:
    result: Verification
    last_checkpoint: Checkpoint | None  # the newest signed checkpoint in the file (its time, its entry)
    broken_entry: dict[str, Any] | None  # the first entry that does not hold, as stored (when there is one)
    checked_at: datetime


def chain_state(uow: UnitOfWork, actor: Actor) -> ChainState:
    """verify_chain, with what a person needs beside it: when the last checkpoint was taken, and what the
    first broken entry was (read after the walk: the walk detaches what it read)."""
    result = verify_chain(uow, actor)
    last = read_checkpoints(uow.checkpoint_file, uow.audit_keys).last
    broken = None
    if result.broken_at is not None:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.seq == result.broken_at)).first()
        if entry is not None:
            broken = {"seq": entry.seq, "at": entry.at, "action": entry.action, "entity": entry.entity,
                      "entity_id": entry.entity_id, "actor_id": entry.actor_id}
    return ChainState(result, last, broken, uow.clock())
