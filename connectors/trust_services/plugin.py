"""The trust services (the unit's certificate, the time-stamping authority, OCSP/CRL) as the registry lists them.
Its development stand-in (`motcua serve --standins`, `motcua standin trust_services`) serves the demo PKI of
var/pki and sets the MOTCUA_SIGNING_* variables (`env()`) for the children."""

from __future__ import annotations

from ..registry import Connector
from .checks import check, configured
from .config import ENV
from .standin import StandinTrustServices, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinTrustServices:
    return start(host, port)


PLUGIN = Connector(name="trust_services", title="Dịch vụ chứng thực chữ ký số (trust services: TSA, OCSP)",
                   configured=configured, check=check, standin=start_for_development, env=ENV)
