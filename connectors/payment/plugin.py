"""The payment connector as the registry lists it. Its development stand-in (`motcua serve --standins`, `motcua
standin payment`) shares the checksum key with Motcua (MOTCUA_PAYMENT_SECRET, set for the children when unset),
so the whole pay / callback / return trip works on one machine."""

from __future__ import annotations

import os
import secrets

from ..registry import Connector
from .checks import check, configured
from .config import CALLBACK_PATH, ENV, RETURN_PATH
from .standin import StandinPayment, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinPayment:
    if not os.environ.get("MOTCUA_PAYMENT_SECRET"):
        os.environ["MOTCUA_PAYMENT_SECRET"] = secrets.token_urlsafe(24)
    if not os.environ.get("MOTCUA_PUBLIC_URL"):  # the stand-in must reach Motcua: where `motcua serve` listens
        here = f"http://{os.environ.get('MOTCUA_HOST') or '127.0.0.1'}:{os.environ.get('MOTCUA_PORT') or '8000'}"
        os.environ.setdefault("MOTCUA_PAYMENT_RETURN_URL", f"{here}{RETURN_PATH}")
        os.environ.setdefault("MOTCUA_PAYMENT_CALLBACK_URL", f"{here}{CALLBACK_PATH}")
    return start(host, port, secret=os.environ["MOTCUA_PAYMENT_SECRET"])


PLUGIN = Connector(name="payment", title="Nền tảng thanh toán (national payment platform)", configured=configured,
                   check=check, standin=start_for_development, env=ENV)
