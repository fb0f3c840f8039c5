"""The population connector as the registry lists it. Its development stand-in (`motcua serve --standins`,
`motcua standin population`) answers from a small data set with the token Motcua sends (any, when unset)."""

from __future__ import annotations

import os

from ..registry import Connector
from .checks import check, configured
from .config import ENV
from .standin import StandinPopulation, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinPopulation:
    return start(host, port, token=os.environ.get("MOTCUA_POPULATION_TOKEN") or None)


PLUGIN = Connector(name="population", title="CSDL quốc gia về dân cư (national population database)",
                   configured=configured, check=check, standin=start_for_development, env=ENV)
