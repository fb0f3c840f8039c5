"""The identity connector (VNeID, for citizens and businesses) as the registry lists it; its development stand-in
is a real OpenID provider (standin.py). `motcua serve --standins` starts it when MOTCUA_VNEID_ISSUER is unset and
sets the client's variables for the children."""

from __future__ import annotations

import os
import secrets

from ..registry import Connector
from .checks import check, configured
from .config import CITIZEN, ENV
from .standin import StandinProvider, start


def start_for_development(host: str = "127.0.0.1", port: int = 0) -> StandinProvider:
    """A provider with a client for this Motcua; the caller sets MOTCUA_IDENTITY_URL, which means nothing to the
    client, so the client's own variables are set here for the children (issuer, id, secret)."""
    os.environ.setdefault(f"{CITIZEN}_CLIENT_ID", "motcua")
    os.environ.setdefault(f"{CITIZEN}_CLIENT_SECRET", secrets.token_urlsafe(32))
    base = (os.environ.get("MOTCUA_PUBLIC_URL") or "").rstrip("/") or \
        f"http://127.0.0.1:{os.environ.get('MOTCUA_PORT') or 8000}"  # where `motcua serve` listens
    redirect = os.environ.get(f"{CITIZEN}_REDIRECT_URI") or f"{base}/citizen/callback"
    provider = start(host, port, clients=[{
        "client_id": os.environ[f"{CITIZEN}_CLIENT_ID"], "client_secret": os.environ[f"{CITIZEN}_CLIENT_SECRET"],
        "redirect_uris": [redirect, redirect.replace("127.0.0.1", "localhost")],
        "post_logout_redirect_uris": [f"{base}/", f"{base.replace('127.0.0.1', 'localhost')}/"]}])
    os.environ[f"{CITIZEN}_ISSUER"] = provider.url
    return provider


PLUGIN = Connector(name="identity", title="VNeID — đăng nhập một lần quốc gia (national single sign-on)",
                   configured=configured, check=check, standin=start_for_development, env=ENV)
