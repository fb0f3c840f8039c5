"""The population connector's settings, from MOTCUA_POPULATION_* variables (README lists them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV = ("MOTCUA_POPULATION_URL", "MOTCUA_POPULATION_TOKEN", "MOTCUA_POPULATION_TIMEOUT")


@dataclass(frozen=True)
class PopulationSettings:
    url: str | None  # the database's (or its adapter's) base URL; None: no look-up is offered
    token: str | None  # sent as `Authorization: Bearer <token>`
    timeout: float  # seconds for one look-up

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PopulationSettings:
        env = os.environ if environ is None else environ
        return cls(url=(env.get("MOTCUA_POPULATION_URL") or "").rstrip("/") or None,
                   token=env.get("MOTCUA_POPULATION_TOKEN") or None,
                   timeout=_seconds(env.get("MOTCUA_POPULATION_TIMEOUT"), 5.0))

    def with_timeout(self, seconds: float) -> PopulationSettings:
        return PopulationSettings(self.url, self.token, seconds)


def _seconds(raw: str | None, default: float) -> float:
    """A bad value is the default, not a crash of every process that reads the settings."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default
