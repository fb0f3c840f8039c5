"""The portal connector's settings, from MOTCUA_PORTAL_* variables (README lists them; docs/connectors.md says
what each is for)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from connectors.settings import seconds

ENV = ("MOTCUA_PORTAL_URL", "MOTCUA_PORTAL_AUTH_PATH", "MOTCUA_PORTAL_CALL_PATH", "MOTCUA_PORTAL_USERNAME",
       "MOTCUA_PORTAL_PASSWORD", "MOTCUA_PORTAL_DSTCODE", "MOTCUA_PORTAL_UNIT", "MOTCUA_PORTAL_TIMEOUT",
       "MOTCUA_PORTAL_INBOUND_TOKEN")


@dataclass(frozen=True)
class PortalSettings:
    url: str | None  # the adapter's base URL; None: nothing is pushed (messages wait and are retried)
    auth_path: str  # sign-in: POST {url}{auth_path}
    call_path: str  # every service: POST {url}{call_path}
    username: str
    password: str
    dstcode: str  # the `dstcode` header the adapter routes on
    unit: str  # `madonvi`: this province's code at the portal
    timeout: float  # seconds for one request
    inbound_token: str | None  # the bearer token the portal sends when it forwards dossiers to Motcua

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PortalSettings:
        env = os.environ if environ is None else environ
        return cls(url=(env.get("MOTCUA_PORTAL_URL") or "").rstrip("/") or None,
                   auth_path=env.get("MOTCUA_PORTAL_AUTH_PATH") or "/auth",
                   call_path=env.get("MOTCUA_PORTAL_CALL_PATH") or "/service",
                   username=env.get("MOTCUA_PORTAL_USERNAME") or "",
                   password=env.get("MOTCUA_PORTAL_PASSWORD") or "",
                   dstcode=env.get("MOTCUA_PORTAL_DSTCODE") or "",
                   unit=env.get("MOTCUA_PORTAL_UNIT") or "",
                   timeout=seconds(env.get("MOTCUA_PORTAL_TIMEOUT"), 10.0),
                   inbound_token=env.get("MOTCUA_PORTAL_INBOUND_TOKEN") or None)

    def with_timeout(self, seconds: float) -> PortalSettings:
        return PortalSettings(self.url, self.auth_path, self.call_path, self.username, self.password, self.dstcode,
                              self.unit, seconds, self.inbound_token)
