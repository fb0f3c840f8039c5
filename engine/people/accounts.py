"""Account administration as use cases (each audited): create, change, memberships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import Forbidden, NotFound
from engine.store.audit import Verification
from engine.store.checkpoints import verify_trail
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork

from .actors import Actor
from .models import Membership, Role, Unit, User
from .organisation import add_membership, create_user, memberships_of, remove_membership, save_unit


def _admin(actor: Actor) -> None:
    if "admin" not in actor.roles:
        raise Forbidden("this needs the administrator role")


def list_units(uow: UnitOfWork) -> list[Unit]:
    return list(uow.session.scalars(select(Unit).order_by(Unit.level.desc(), Unit.code)))


def put_unit(uow: UnitOfWork, actor: Actor, code: str, values: dict[str, Any]) -> Unit:
    _admin(actor)
    existing = uow.session.get(Unit, code)
    before = None if existing is None else {"name": existing.name, "level": existing.level,
                                            "parent_code": existing.parent_code, "active": existing.active}
    unit = save_unit(uow.session, code, values["name"], values["level"], values.get("parent_code"),
                     values.get("address"), values.get("phone"), values.get("active", True))
    uow.record(actor, "unit_saved", "unit", code, before=before,
               after={"name": unit.name, "level": unit.level, "parent_code": unit.parent_code, "active": unit.active})
    uow.commit()
    uow.org.invalidate()
    return unit


def list_roles(uow: UnitOfWork) -> list[Role]:
    return list(uow.session.scalars(select(Role).order_by(Role.code)))


def list_users(uow: UnitOfWork, actor: Actor, unit: str | None = None) -> list[tuple[User, list[tuple[str, str]]]]:
    """Administrators see every account; leaders see the officers of the units they lead."""
    leads = actor.scope.get("leader", frozenset())
    if "admin" not in actor.roles and not leads:
        raise Forbidden("this needs the administrator or leader role")
    query = select(User).order_by(User.username)
    if "admin" not in actor.roles or unit:
        units = sorted(leads if "admin" not in actor.roles else {unit})
        if unit:
            units = [u for u in units if u == unit]
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.unit_code.in_(units))))
    users = list(uow.session.scalars(query))
    return [(user, memberships_of(uow.session, user.id)) for user in users]


def new_user(uow: UnitOfWork, actor: Actor, values: dict[str, Any]) -> tuple[User, list[tuple[str, str]]]:
    _admin(actor)
    memberships = [(m["unit"], m["role"]) for m in values["memberships"]]
    user = create_user(uow.session, values["username"], values["password"], values["full_name"], memberships,
                       values.get("email"))
    uow.record(actor, "user_created", "user", user.id,
               after={"username": user.username, "memberships": [list(m) for m in sorted(memberships)]})
    uow.commit()
    return user, memberships_of(uow.session, user.id)


def patch_user(uow: UnitOfWork, actor: Actor, user_id: int, values: dict[str, Any]
               ) -> tuple[User, list[tuple[str, str]]]:
    _admin(actor)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    before = {k: getattr(user, k) for k in values}
    for key, value in values.items():
        setattr(user, key, value)
    uow.record(actor, "user_changed", "user", user_id, before=before, after=dict(values))
    uow.commit()
    return user, memberships_of(uow.session, user_id)


def change_membership(uow: UnitOfWork, actor: Actor, user_id: int, unit: str, role: str, add: bool
                      ) -> list[tuple[str, str]]:
    _admin(actor)
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
