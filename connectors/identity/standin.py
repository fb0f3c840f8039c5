"""The stand-in VNeID: a real OpenID provider (the npm package `oidc-provider`, run by
frontend/standins/oidc-provider.mjs) as a Node subprocess on a free loopback port, with the demo accounts of
`mapping/standin_accounts.json` (citizens 001099012345 and 096185000123, business 2000123456) and its own login
page. `start()` returns once its discovery answers. Needs Node.js and `frontend/node_modules` (`make run` /
`make test` install them); `StandinUnavailable` says plainly when they are not there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "frontend" / "standins" / "oidc-provider.mjs"
PACKAGE = ROOT / "frontend" / "node_modules" / "oidc-provider" / "package.json"
ACCOUNTS = Path(__file__).resolve().parent / "mapping" / "standin_accounts.json"
STARTUP_SECONDS = 20.0


class StandinUnavailable(RuntimeError):
    """Node.js or the oidc-provider package is missing, or the provider did not start."""


def accounts() -> list[dict[str, Any]]:
    return json.loads(ACCOUNTS.read_text(encoding="utf-8"))["accounts"]  # type: ignore[no-any-return]


class StandinProvider:
    """A running stand-in; `url` is its issuer (what MOTCUA_VNEID_ISSUER should say)."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url

    @property
    def records_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start(host: str = "127.0.0.1", port: int = 0, clients: list[dict[str, Any]] | None = None,
          extra_accounts: Path | None = None) -> StandinProvider:
    """A provider knowing `clients` ([{client_id, client_secret, redirect_uris, post_logout_redirect_uris?}])."""
    node = shutil.which("node")
    if node is None or not PACKAGE.exists():
        raise StandinUnavailable("the stand-in VNeID needs Node.js and frontend/node_modules (run `make run` or "
                                 "`cd frontend && npm ci`)")
    env = {**os.environ, "OIDC_HOST": host, "OIDC_PORT": str(port), "OIDC_CLIENTS": json.dumps(clients or []),
           "OIDC_ACCOUNTS": str(extra_accounts or ACCOUNTS), "NODE_NO_WARNINGS": "1"}
    process = subprocess.Popen([node, str(SCRIPT)], cwd=SCRIPT.parent, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # "listening <issuer>", or nothing when it died
    if not line.startswith("listening "):
        process.kill()
        raise StandinUnavailable(f"the stand-in VNeID did not start: {line.strip()[:200]!r}")
    provider = StandinProvider(process, line.split()[1])
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if requests.get(provider.records_url, timeout=2).status_code == 200:
                return provider
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            provider.stop()
            raise StandinUnavailable("the stand-in VNeID did not answer its discovery")
        time.sleep(0.1)
