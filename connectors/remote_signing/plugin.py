"""The remote signing connector as the registry lists it. Its development stand-in (`motcua serve --standins`,
`motcua standin remote_signing`) holds the demo PKI's leader keys (var/pki, made by connectors/trust_services):
leader.p12 for the user "lanhdao", leader-revoked.p12 for "lanhdao-thuhoi"; it shares the webhook's key with
Motcua (MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET, set for the children when unset)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..registry import Connector
from .checks import check, configured
from .config import CALLBACK_PATH, ENV
from .standin import StandinRemoteSigning, start

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "var" / "pki"  # development only (connectors/trust_services)
DEMO_PASSWORD = "motcua-demo"
DEMO_ACCOUNTS = {"lanhdao": "leader.p12", "lanhdao-thuhoi": "leader-revoked.p12"}


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinRemoteSigning:
    """The stand-in with the leaders' keys of the demo PKI, which the trust_services stand-in (started before
    this one: the registry's order) made under var/pki."""
    folder = DEMO_FOLDER
    if not (folder / "leader.p12").exists():
        raise RuntimeError(f"no demo PKI in {folder}: start the trust_services stand-in first")
    if not os.environ.get("MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET"):
        os.environ["MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET"] = secrets.token_urlsafe(24)
    accounts = {user: (folder / name, DEMO_PASSWORD) for user, name in DEMO_ACCOUNTS.items()
                if (folder / name).exists()}
    standin = start(host, port, accounts=accounts)
    here = os.environ.get("MOTCUA_PUBLIC_URL") or \
        f"http://{os.environ.get('MOTCUA_HOST') or '127.0.0.1'}:{os.environ.get('MOTCUA_PORT') or '8000'}"
    standin.webhook(f"{here.rstrip('/')}{CALLBACK_PATH}", os.environ["MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET"])
    return standin


PLUGIN = Connector(name="remote_signing", title="Ký số từ xa (SmartCA-style remote signing)", configured=configured,
                   check=check, standin=start_for_development, env=ENV)
