"""Account administration as use cases (each audited): units, accounts, memberships.

An administrator administers the subtree of the unit where it holds the role (a province's administrator,
its communes too), and nobody grants more than they hold:

- a unit: changed or created only inside the subtree, and never moved out of it (a new top-level unit is for
  `motcua org load`);
- a membership (unit x role) is granted or taken away only in the subtree; the organisation-wide roles
  (designer, reform officer: they change every unit's procedures) only by an administrator of a top-level
  unit. So a commune's administrator cannot make itself a province's administrator, nor a designer;
- an account (name, e-mail, active) is changed only when every membership it holds is one the administrator
  could grant: nobody disables or renames someone above or beside them. Accounts with no membership left
  are the top-level administrators' to manage;
- the working calendar is the whole organisation's: top-level administrators only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.store.audit import Verification
from engine.store.checkpoints import verify_trail
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork

from .actors import ORGANISATION_ROLES, Actor
from .models import Membership, Role, Unit, User
from .organisation import add_membership, create_user, known_roles, memberships_of, remove_membership, save_unit


def _admin(actor: Actor) -> None:
    if "admin" not in actor.roles:
        raise Forbidden("this needs the administrator role")


def is_top_admin(actor: Actor) -> bool:
    return "admin" in actor.everywhere


def require_top_admin(actor: Actor) -> None:
    """For what belongs to the whole organisation (the working calendar)."""
    if not is_top_admin(actor):
        raise Forbidden("this needs the administrator role in a top-level unit")


def may_grant(actor: Actor, unit: str, role: str) -> bool:
    return actor.administers(unit) and (role not in ORGANISATION_ROLES or is_top_admin(actor))


def manages(actor: Actor, memberships: list[tuple[str, str]]) -> bool:
    """Whether the actor administers an account holding these memberships."""
    if not memberships:
        return is_top_admin(actor)
    return all(may_grant(actor, unit, role) for unit, role in memberships)


def _grantable(uow: UnitOfWork, actor: Actor, unit: str, role: str) -> None:
    _admin(actor)
    if uow.session.get(Unit, unit) is None:  # what does not exist is a mistake, not a trespass
        raise ValidationFailed("unknown unit", {"unit": [f"No unit '{unit}'."]})
    if role not in known_roles(uow.session):
        raise ValidationFailed("unknown role", {"role": [f"No role '{role}'."]})
    if not may_grant(actor, unit, role):
        raise Forbidden(f"the role '{role}' in unit {unit} is beyond what this administrator may grant",
                        unit=unit, role=role)


def _managed(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    _admin(actor)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    if not manages(actor, memberships_of(uow.session, user_id)):
        raise Forbidden("this account holds roles beyond this administrator's units")
    return user


UNIT_FIELDS = ("name", "level", "parent_code", "address", "phone", "authority", "active")


def list_units(uow: UnitOfWork) -> list[Unit]:
    return list(uow.session.scalars(select(Unit).order_by(Unit.level.desc(), Unit.code)))


def put_unit(uow: UnitOfWork, actor: Actor, code: str, values: dict[str, Any]) -> Unit:
    _admin(actor)
    existing = uow.session.get(Unit, code)
    parent = values.get("parent_code")
    if existing is not None and not actor.administers(code):
        raise Forbidden(f"unit {code} is outside this administrator's units")
    if not actor.administers(parent) and (existing is None or parent != existing.parent_code):
        raise Forbidden("a unit is created or moved only under a unit this administrator administers",
                        parent_code=parent)
    before = None if existing is None else _unit_state(existing)
    unit = save_unit(uow.session, code, values["name"], values["level"], values.get("parent_code"),
                     values.get("address"), values.get("phone"), values.get("active", True),
                     values.get("authority"))
    uow.record(actor, "unit_saved", "unit", code, before=before, after=_unit_state(unit))
    uow.commit()
    uow.org.invalidate()
    return unit


def _unit_state(unit: Unit) -> dict[str, Any]:
    return {key: getattr(unit, key) for key in UNIT_FIELDS}


def list_roles(uow: UnitOfWork) -> list[Role]:
    return list(uow.session.scalars(select(Role).order_by(Role.code)))


def list_users(uow: UnitOfWork, actor: Actor, unit: str | None = None) -> list[tuple[User, list[tuple[str, str]]]]:
    """The accounts with a membership in the units the caller administers or leads (?unit= one of them);
    top-level administrators also see the accounts that hold no membership."""
    units = actor.scope.get("admin", frozenset()) | actor.scope.get("leader", frozenset())
    if not units:
        raise Forbidden("this needs the administrator or leader role")
    wanted = sorted(u for u in units if unit is None or u == unit)
    members = User.id.in_(select(Membership.user_id).where(Membership.unit_code.in_(wanted)))
    if is_top_admin(actor) and unit is None:
        members = members | ~User.id.in_(select(Membership.user_id))
    users = list(uow.session.scalars(select(User).where(members).order_by(User.username)))
    return [(user, memberships_of(uow.session, user.id)) for user in users]


def new_user(uow: UnitOfWork, actor: Actor, values: dict[str, Any]) -> tuple[User, list[tuple[str, str]]]:
    _admin(actor)
    memberships = [(m["unit"], m["role"]) for m in values["memberships"]]
    for unit, role in memberships:
        _grantable(uow, actor, unit, role)
    if not manages(actor, memberships):
        raise Forbidden("an administrator creates accounts only with roles it may grant in its units")
    user = create_user(uow.session, values["username"], values["password"], values["full_name"], memberships,
                       values.get("email"))
    user.must_change_password = True  # the administrator knows it: the officer replaces it when signing in
    uow.record(actor, "user_created", "user", user.id,
               after={"username": user.username, "memberships": [list(m) for m in sorted(memberships)]})
    uow.commit()
    return user, memberships_of(uow.session, user.id)


def patch_user(uow: UnitOfWork, actor: Actor, user_id: int, values: dict[str, Any]
               ) -> tuple[User, list[tuple[str, str]]]:
    user = _managed(uow, actor, user_id)
    before = {k: getattr(user, k) for k in values}
    for key, value in values.items():
        setattr(user, key, value)
    uow.record(actor, "user_changed", "user", user_id, before=before, after=dict(values))
    uow.commit()
    return user, memberships_of(uow.session, user_id)


def change_membership(uow: UnitOfWork, actor: Actor, user_id: int, unit: str, role: str, add: bool
                      ) -> list[tuple[str, str]]:
    """Grant or take away a role in a unit: both only within what the actor may grant."""
    _grantable(uow, actor, unit, role)
    if add:
        add_membership(uow.session, user_id, unit, role)
    else:
        remove_membership(uow.session, user_id, unit, role)
    uow.record(actor, "membership_added" if add else "membership_removed", "user", user_id,
               after={"unit": unit, "role": role})
    uow.commit()
    return memberships_of(uow.session, user_id)


def dossier_history(uow: UnitOfWork, dossier_id: int) -> list[AuditEntry]:
    return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier_id)
                                    .order_by(AuditEntry.seq)))


def verify_chain(uow: UnitOfWork, actor: Actor) -> Verification:
    """The whole chain with the key, and against the checkpoints kept outside the database."""
    _admin(actor)
    return verify_trail(uow.session, uow.audit_keys, uow.checkpoint_file)
