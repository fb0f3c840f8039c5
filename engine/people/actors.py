"""Who is acting: the authenticated user as the engine sees it (no HTTP, no tokens).

An actor holds roles in units. `scope` maps each role to the units it covers: the unit of the membership
and, for a province-level unit, every unit below it. `everywhere` names the roles held in a top-level unit
(one without a parent): what belongs to the whole organisation (procedures, the calendar, the roles that
change them) is for those.

Citizens' personal data is for the officer roles only: `officer_units` are the units where the actor may
read dossiers; designers, reform officers and administrators see procedures and figures, not dossiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ROLES = ("reception", "specialist", "leader", "reform_officer", "designer", "admin")
OFFICER_ROLES = frozenset({"reception", "specialist", "leader"})
# Roles whose power reaches every unit whatever their membership's unit: they change the procedures.
ORGANISATION_ROLES = frozenset({"designer", "reform_officer"})


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    memberships: frozenset[tuple[str, str]] = frozenset()  # (unit, role)
    scope: Mapping[str, frozenset[str]] = field(default_factory=dict)
    everywhere: frozenset[str] = frozenset()  # roles held in a top-level unit
    must_change_password: bool = False  # an administrator set the password: nothing else until it is changed

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for _, role in self.memberships)

    @property
    def units(self) -> frozenset[str]:
        """Every unit the actor covers, in any role."""
        return frozenset().union(*self.scope.values()) if self.scope else frozenset()

    @property
    def officer_units(self) -> frozenset[str]:
        """The units whose dossiers (and the citizens' data in them) the actor handles."""
        return frozenset().union(*(units for role, units in self.scope.items() if role in OFFICER_ROLES))

    @property
    def works_on_procedures(self) -> bool:
        """Designers and reform officers; administrators only of a top-level unit, since a procedure is the whole
        organisation's and a commune's administrator administers only its commune."""
        return bool(self.roles & ORGANISATION_ROLES) or "admin" in self.everywhere

    def administers(self, unit: str | None) -> bool:
        return unit is not None and unit in self.scope.get("admin", ())

    @property
    def unit_code(self) -> str | None:
        """The actor's own unit (the first of their memberships), e.g. where they receive dossiers."""
        return min(unit for unit, _ in self.memberships) if self.memberships else None

    def unit_for(self, role: str) -> str | None:
        units = sorted(unit for unit, r in self.memberships if r == role)
        return units[0] if units else None

    def has_role(self, role: str | None, unit: str | None = None) -> bool:
        """Holds the role (in the unit, when given); role None means any officer role."""
        roles = OFFICER_ROLES if role is None else {role}
        return any(unit is None or unit in self.scope.get(r, ()) for r in roles if r in self.scope)
