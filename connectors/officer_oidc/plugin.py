"""The officers' OpenID provider as the registry lists it; no stand-in of its own (point MOTCUA_OFFICER_OIDC_ISSUER
at a provider started with `motcua standin identity`, whose demo accounts include officers' usernames)."""

from __future__ import annotations

from ..identity.checks import check_officer, officer_configured
from ..identity.config import OFFICER_ENV
from ..registry import Connector

PLUGIN = Connector(name="officer_oidc", title="Hệ thống định danh của tỉnh (officers' OpenID provider)",
                   configured=officer_configured, check=check_officer, env=OFFICER_ENV)
