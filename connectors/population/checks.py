"""The population connector's health: configured or not, and whether the database answers (2 seconds at most)."""

from __future__ import annotations

from ..registry import Health
from .client import PopulationClient, PopulationError
from .config import PopulationSettings

TIMEOUT = 2.0


def configured() -> bool:
    return PopulationSettings.from_env().url is not None


def check() -> Health:
    settings = PopulationSettings.from_env()
    if not settings.url:
        return Health("not-configured", "MOTCUA_POPULATION_URL is unset: no look-up in the population database")
    try:
        standin = PopulationClient(settings.with_timeout(min(settings.timeout, TIMEOUT))).health()
    except PopulationError as exc:
        return Health("refused" if exc.answered else "unreachable", str(exc)[:200])
    return Health("ok", f"{settings.url} (stand-in)" if standin else settings.url, standin=standin)
