"""The payment connector as the registry lists it. Its development stand-in (`motcua serve --standins`, `motcua
standin payment`) shares the checksum key with Motcua (MOTCUA_PAYMENT_SECRET, set for the children when unset),
so the whole pay / callback / return trip works on one machine."""

from __future__ import annotations

import os
import secrets

from ..registry import Connector
from .checks import check, configured
from .config import ENV
from .standin import StandinPayment, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinPayment:
    if not os.environ.get("MOTCUA_PAYMENT_SECRET"):
        os.environ["MOTCUA_PAYMENT_SECRET"] = secrets.token_urlsafe(24)
    return start(host, port, secret=os.environ["MOTCUA_PAYMENT_SECRET"])


PLUGIN = Connector(name="payment", title="Nền tảng thanh toán (national payment platform)", configured=configured,
                   check=check, standin=start_for_development, env=ENV)
