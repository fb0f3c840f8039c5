"""The stand-in VNeID for the tests: the real OpenID provider (npm `oidc-provider`, frontend/standins/) started once
per session on the loopback interface, and a person's way through it: follow the redirect to its login page, pick
an account (or cancel), and come back with the provider's redirect to Motcua's callback, as a browser does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from connectors.identity.standin import StandinProvider, StandinUnavailable, start

CLIENT_ID = "motcua-test"
CLIENT_SECRET = "bi-mat-cua-motcua-trong-kiem-thu-0123456789"
OTHER_CLIENT = "motcua-khac"  # another relying party of the same provider (for wrong-audience tokens)
# a "native" client (RFC 8252): loopback redirect URIs match on any port, so the live server's random port works
REDIRECTS = [f"http://{host}{path}" for host in ("localhost", "127.0.0.1")
             for path in ("/citizen/callback", "/login/oidc/callback")]
AN = "001099012345"  # Nguyễn Văn An, the stand-in population data's person too
BICH = "096185000123"
BUSINESS = "2000123456"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[StandinProvider]:
    try:
        provider = start(clients=[
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "application_type": "native",
             "redirect_uris": REDIRECTS, "post_logout_redirect_uris": ["http://localhost/", "http://127.0.0.1/"]},
            {"client_id": OTHER_CLIENT, "client_secret": CLIENT_SECRET + "-khac", "application_type": "native",
             "redirect_uris": REDIRECTS}])
    except StandinUnavailable as exc:  # `make test` installs Node and the package; say so plainly otherwise
        pytest.fail(str(exc))
    yield provider
    provider.stop()


@pytest.fixture
def vneid(oidc_provider: StandinProvider, monkeypatch: pytest.MonkeyPatch) -> StandinProvider:
    """Motcua configured for the stand-in (the settings are read on each request)."""
    monkeypatch.setenv("MOTCUA_VNEID_ISSUER", oidc_provider.url)
    monkeypatch.setenv("MOTCUA_VNEID_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MOTCUA_VNEID_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("MOTCUA_VNEID_REDIRECT_URI", raising=False)
    return oidc_provider


def log_in_at_provider(authorization_url: str, account: str | None, browser: requests.Session | None = None) -> str:
    """The provider's redirect back to Motcua (its Location) after `account` logs in (None: the person cancels)."""
    browser = browser or requests.Session()
    answer = browser.get(authorization_url, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    assert "Máy chủ giả lập VNeID" in answer.text  # the stand-in says what it is
    action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
    assert action, answer.text[:500]
    form: dict[str, Any] = {"cancel": "1"} if account is None else {"account": "", "login": account}
    answer = browser.post(urljoin(answer.url, action.group(1)), data=form, allow_redirects=False, timeout=10)
    provider = authorization_url.split("/auth", 1)[0]
    while answer.status_code in (302, 303) and urljoin(answer.url, answer.headers["Location"]).startswith(provider):
        answer = browser.get(urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:500]
    return str(answer.headers["Location"])
