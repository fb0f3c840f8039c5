"""Who is acting: the authenticated user as the engine sees it (no HTTP, no tokens)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("reception", "specialist", "leader", "reform_officer", "designer", "admin")
OFFICER_ROLES = frozenset({"reception", "specialist", "leader"})


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    roles: frozenset[str]
    unit_code: str | None = None

    def has_role(self, role: str | None) -> bool:
        if role is None:
            return bool(self.roles & OFFICER_ROLES)
        return role in self.roles
