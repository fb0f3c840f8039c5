"""An OpenID provider's settings: MOTCUA_VNEID_* for citizens, MOTCUA_OFFICER_OIDC_* for officers (README lists
them; docs/connectors.md says what each is for). One client code, two configurations."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from connectors.settings import seconds

CITIZEN = "MOTCUA_VNEID"
OFFICER = "MOTCUA_OFFICER_OIDC"
ENV = tuple(f"{CITIZEN}_{name}" for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPE", "ACR_VALUES",
                                             "REDIRECT_URI", "TIMEOUT"))
OFFICER_ENV = tuple(f"{OFFICER}_{name}" for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPE",
                                                     "REDIRECT_URI", "USERNAME_CLAIM", "TIMEOUT"))


@dataclass(frozen=True)
class OidcSettings:
    issuer: str | None  # the provider's issuer; its discovery is {issuer}/.well-known/openid-configuration
    client_id: str
    client_secret: str
    scope: str
    acr_values: str | None  # the assurance level asked for (VNeID's levels), when the provider wants one
    redirect_uri: str | None  # None: derived from the request (the callback route on this host)
    timeout: float  # seconds for one request to the provider
    username_claim: str = "preferred_username"  # officers: the claim that names the Motcua account

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)

    @classmethod
    def from_env(cls, prefix: str = CITIZEN, environ: dict[str, str] | None = None) -> OidcSettings:
        env = os.environ if environ is None else environ
        return cls(issuer=(env.get(f"{prefix}_ISSUER") or "").rstrip("/") or None,
                   client_id=env.get(f"{prefix}_CLIENT_ID") or "",
                   client_secret=env.get(f"{prefix}_CLIENT_SECRET") or "",
                   scope=env.get(f"{prefix}_SCOPE") or "openid profile",
                   acr_values=env.get(f"{prefix}_ACR_VALUES") or None,
                   redirect_uri=env.get(f"{prefix}_REDIRECT_URI") or None,
                   timeout=seconds(env.get(f"{prefix}_TIMEOUT"), 10.0),
                   username_claim=env.get(f"{prefix}_USERNAME_CLAIM") or "preferred_username")

    def with_timeout(self, seconds: float) -> OidcSettings:
        return replace(self, timeout=seconds)
