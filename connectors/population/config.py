"""The population connector's settings, from MOTCUA_POPULATION_* variables (README lists them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from connectors.settings import seconds

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
                   timeout=seconds(env.get("MOTCUA_POPULATION_TIMEOUT"), 5.0))

    def with_timeout(self, seconds: float) -> PopulationSettings:
        return PopulationSettings(self.url, self.token, seconds)
