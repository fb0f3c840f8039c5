"""The portal connector as the registry lists it. Its development stand-in (`motcua serve --standins`, `motcua
standin portal`) takes the credentials the client will send (MOTCUA_PORTAL_USERNAME/PASSWORD; any, when unset) and
the shipped catalogue, and forwards dossiers with the inbound token Motcua expects (set for the children when
unset), so the whole flow works on one machine."""

from __future__ import annotations

import os
import secrets

from ..registry import Connector
from .checks import check, configured
from .config import ENV
from .standin import StandinPortal, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinPortal:
    """A stand-in with the shipped catalogue; the variables this process's children inherit say how to reach it
    (the caller sets MOTCUA_PORTAL_URL)."""
    if not os.environ.get("MOTCUA_PORTAL_INBOUND_TOKEN"):
        os.environ["MOTCUA_PORTAL_INBOUND_TOKEN"] = secrets.token_urlsafe(24)
    return start(host, port, username=os.environ.get("MOTCUA_PORTAL_USERNAME") or None,
                 password=os.environ.get("MOTCUA_PORTAL_PASSWORD") or "",
                 inbound_token=os.environ["MOTCUA_PORTAL_INBOUND_TOKEN"],
                 auth_path=os.environ.get("MOTCUA_PORTAL_AUTH_PATH") or "/auth",
                 call_path=os.environ.get("MOTCUA_PORTAL_CALL_PATH") or "/service")


PLUGIN = Connector(name="portal", title="Cổng Dịch vụ công quốc gia (national public service portal)",
                   configured=configured, check=check, standin=start_for_development, env=ENV)
