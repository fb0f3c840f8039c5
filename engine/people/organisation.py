"""Units, roles, officers and memberships: managed through the API, loadable from a file, cached per process."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from engine.store.refreshing import Refreshing

from .actors import Actor
from .models import Membership, Role, Unit, User
from .passwords import check_password, hash_password

LEVELS = ("province", "commune")


@dataclass(frozen=True)
class UnitTree:
    parent: dict[str, str | None] = field(default_factory=dict)
    level: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def is_top(self, unit: str) -> bool:
        """A known unit without a parent: the organisation's top (the provincial center)."""
        return unit in self.parent and self.parent[unit] is None

    def covered(self, unit: str) -> frozenset[str]:
        """The unit and, for a province-level unit, every unit below it."""
        if self.level.get(unit) != "province":
            return frozenset({unit})
        children: dict[str | None, list[str]] = {}
        for code, parent in self.parent.items():
            children.setdefault(parent, []).append(code)
        found, stack = {unit}, [unit]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)


def _load_tree(session: Session) -> UnitTree:
    units = list(session.execute(select(Unit.code, Unit.parent_code, Unit.level, Unit.name)))
    return UnitTree({u.code: u.parent_code for u in units}, {u.code: u.level for u in units},
                    {u.code: u.name for u in units})


class OrgCache(Refreshing[UnitTree]):
    """The unit tree, reloaded every `ttl` seconds and at once after a change in this process."""

    def __init__(self, ttl: float = 30.0) -> None:
        super().__init__(_load_tree, ttl)

    def tree(self, session: Session) -> UnitTree:
        return self.get(session)


_ACTOR = (select(User.username, User.active, User.must_change_password, Membership.unit_code, Membership.role_code)
          .outerjoin(Membership, Membership.user_id == User.id).where(User.id == bindparam("user_id")))


def actor_for(session: Session, org: OrgCache, user_id: int) -> Actor:
    """The acting user as stored now: a disabled account or a changed membership takes effect at once."""
    rows = session.connection().execute(_ACTOR, {"user_id": user_id}).all()  # plain columns: no ORM loading
    if not rows or not rows[0].active:
        raise Unauthorized("account not found or disabled")
    memberships = frozenset((r.unit_code, r.role_code) for r in rows if r.unit_code is not None)
    tree = org.tree(session) if memberships else UnitTree()
    scope: dict[str, set[str]] = {}
    for unit, role in memberships:
        scope.setdefault(role, set()).update(tree.covered(unit))
    return Actor(user_id=user_id, username=rows[0].username, memberships=memberships,
                 scope={role: frozenset(units) for role, units in scope.items()},
                 everywhere=frozenset(role for unit, role in memberships if tree.is_top(unit)),
                 must_change_password=bool(rows[0].must_change_password))


# --- management ---------------------------------------------------------------------------------------
def save_unit(session: Session, code: str, name: str, level: str, parent: str | None,
              address: str | None = None, phone: str | None = None, active: bool = True,
              authority: str | None = None) -> Unit:
    if level not in LEVELS:
        raise ValidationFailed("unknown level", {"level": [f"One of: {', '.join(LEVELS)}."]})
    if parent is not None:
        if parent == code:
            raise ValidationFailed("a unit cannot be its own parent", {"parent_code": ["Not itself."]})
        if session.get(Unit, parent) is None:
            raise ValidationFailed("unknown parent unit", {"parent_code": [f"No unit '{parent}'."]})
        above, seen = session.get(Unit, parent), set()
        while above is not None and above.code not in seen:  # a loop would drop both from the tree
            if above.code == code:
                raise ValidationFailed("a unit cannot be below itself", {"parent_code": ["Not below itself."]})
            seen.add(above.code)
            above = session.get(Unit, above.parent_code) if above.parent_code else None
    unit = session.get(Unit, code)
    if unit is None:
        unit = Unit(code=code)
        session.add(unit)
    unit.name, unit.level, unit.parent_code, unit.address, unit.phone, unit.active, unit.authority = (
        name, level, parent, address, phone, active, authority)
    session.flush()
    return unit


def known_roles(session: Session) -> set[str]:
    return set(session.scalars(select(Role.code)))


def create_user(session: Session, username: str, password: str, full_name: str,
                memberships: Iterable[tuple[str, str]] = (), email: str | None = None) -> User:
    check_password(password)
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user '{username}' already exists")
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), email=email,
                active=True)
    session.add(user)
    session.flush()
    for unit, role in memberships:
        add_membership(session, user.id, unit, role)
    return user


def add_membership(session: Session, user_id: int, unit: str, role: str) -> Membership:
    if session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} does not exist")
    if session.get(Unit, unit) is None:
        raise ValidationFailed("unknown unit", {"unit": [f"No unit '{unit}'."]})
    if role not in known_roles(session):
        raise ValidationFailed("unknown role", {"role": [f"No role '{role}'."]})
    existing = session.scalars(select(Membership).where(Membership.user_id == user_id, Membership.unit_code == unit,
                                                        Membership.role_code == role)).first()
    if existing is not None:
        return existing
    membership = Membership(user_id=user_id, unit_code=unit, role_code=role)
    session.add(membership)
    session.flush()
    return membership


def remove_membership(session: Session, user_id: int, unit: str, role: str) -> None:
    membership = session.scalars(select(Membership).where(
        Membership.user_id == user_id, Membership.unit_code == unit, Membership.role_code == role)).first()
    if membership is None:
        raise NotFound("no such membership")
    session.delete(membership)


def memberships_of(session: Session, user_id: int) -> list[tuple[str, str]]:
    return sorted((m.unit_code, m.role_code) for m in session.scalars(
        select(Membership).where(Membership.user_id == user_id)))


def load_organisation(session: Session, path: Path) -> dict[str, int]:
    """Units (and extra roles) from a TOML file; existing rows are updated, nothing is deleted."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    roles = {r.code: r for r in session.scalars(select(Role))}
    for role in raw.get("roles", []):
        row = roles.get(role["code"]) or Role(code=role["code"])
        row.name_vi, row.name_en = role["name_vi"], role["name_en"]
        session.add(row)
    pending = list(raw.get("units", []))
    done = 0
    while pending:  # parents first, whatever the file's order
        ready = [u for u in pending if not u.get("parent") or session.get(Unit, u["parent"]) is not None]
        if not ready:
            raise ValidationFailed("units with unknown parents", {"units": [u["code"] for u in pending]})
        for unit in ready:
            save_unit(session, unit["code"], unit["name"], unit["level"], unit.get("parent"),
                      unit.get("address"), unit.get("phone"), authority=unit.get("authority"))
            pending.remove(unit)
            done += 1
    return {"units": done, "roles": len(raw.get("roles", []))}
