"""The connectors Motcua knows, and what every one of them offers: a name, whether it is configured, a health check
and (for development) a stand-in server. Small on purpose: a new system adds a sub-package and one line here."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# name -> "module:attribute" of its Connector; imported only when asked for
PLUGINS: dict[str, str] = {
    "sms": "connectors.sms.plugin:PLUGIN",
    "portal": "connectors.portal.plugin:PLUGIN",
    "population": "connectors.population.plugin:PLUGIN",
    "payment": "connectors.payment.plugin:PLUGIN",
    "identity": "connectors.identity.plugin:PLUGIN",
    "officer_oidc": "connectors.officer_oidc.plugin:PLUGIN",
    "trust_services": "connectors.trust_services.plugin:PLUGIN",
    "remote_signing": "connectors.remote_signing.plugin:PLUGIN",
}


@dataclass(frozen=True)
class Health:
    status: str  # ok | unreachable | refused | not-configured
    detail: str = ""
    seconds: float = 0.0
    standin: bool = False  # the far end said it is a stand-in server (development), not the real system

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "not-configured")

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail, "seconds": round(self.seconds, 3),
                "standin": self.standin}


@dataclass(frozen=True)
class Connector:
    name: str
    title: str
    configured: Callable[[], bool]
    check: Callable[[], Health]
    standin: Callable[..., Any] | None = None  # start(host, port) -> a running stand-in with .url and .stop()
    env: tuple[str, ...] = field(default_factory=tuple)  # the variables it reads, for `motcua connectors check`


def get(name: str) -> Connector:
    module, _, attribute = PLUGINS[name].partition(":")
    found = getattr(importlib.import_module(module), attribute)
    assert isinstance(found, Connector)
    return found


def all_connectors() -> list[Connector]:
    return [get(name) for name in PLUGINS]


def check_all() -> dict[str, Health]:
    """Every connector's health now (each check is bounded by its own timeout)."""
    found = {}
    for connector in all_connectors():
        started = time.monotonic()
        try:
            health = connector.check()
        except Exception as exc:  # a check never breaks its caller
            health = Health("unreachable", type(exc).__name__)
        found[connector.name] = Health(health.status, health.detail, time.monotonic() - started, health.standin)
    return found


class CachedChecks:
    """The checks at most once per `ttl` seconds (a load balancer polls /healthz often; a gateway need not be
    asked each time)."""

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._at: float | None = None
        self._found: dict[str, Health] = {}

    def __call__(self) -> dict[str, Health]:
        now = self.clock()
        if self._at is None or now - self._at >= self.ttl:
            self._found, self._at = check_all(), now
        return self._found
