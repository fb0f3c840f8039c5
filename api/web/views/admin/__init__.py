"""The administrators' pages on one blueprint: units (`units`), accounts and memberships (`accounts`), roles,
the working calendar and the audit chain (`overview`), the connectors to external systems (`connectors`). The same
engine functions and rules as the API's /units, /users, /calendar and /audit: an administrator administers its
unit's subtree."""

from . import accounts, connectors, overview, units  # noqa: F401  (importing them registers their routes)
from .blueprint import bp

__all__ = ["bp"]
