"""The OpenID Connect client (Authlib's requests client; joserfc for the ID token), for citizens (VNeID) and
officers (the province's provider) alike:

- `begin(settings, redirect_uri)`: the provider's authorization URL for the code flow with PKCE (S256), a fresh
  `state` and `nonce`; the caller keeps the returned `Pending` (the browser session) until the callback;
- `finish(settings, params, pending)`: the callback's parameters checked against it (state, provider error,
  RFC 9207 `iss`), the code exchanged, the ID token checked (`validate_id_token`: signature by the provider's
  JWKS, iss, aud, azp, exp/iat with a small leeway, nonce), then the userinfo read (its `sub` must be the token's).

Discovery and JWKS answers are cached for a few minutes (a new signing key is fetched once when a token names an
unknown key). Every failure is an `IdentityError` whose `kind` says what to tell the user; nothing here knows Flask.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .config import OidcSettings

ALGORITHMS = ["RS256", "PS256", "ES256"]  # asymmetric only: a token "signed" with the client secret is refused
LEEWAY = 60  # seconds of clock difference allowed on exp / iat
CACHE_SECONDS = 300.0


class IdentityError(RuntimeError):
    """Sign-in failed. `kind`: "unreachable" (the provider did not answer), "provider" (it answered with an
    error, e.g. the user cancelled or the code was used already), "state" (the callback is not the one this
    browser started: forged, replayed or stale), "token" (the ID token or userinfo failed a check)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind, self.reason = kind, reason


@dataclass(frozen=True)
class Pending:
    """What the browser session keeps between the redirect and the callback."""
    state: str
    nonce: str
    verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, found: Any) -> Pending | None:
        try:
            return cls(**{k: str(found[k]) for k in ("state", "nonce", "verifier", "redirect_uri")})
        except (KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Identity:
    id_token: dict[str, Any]  # the checked ID token's claims
    userinfo: dict[str, Any]
    raw_id_token: str  # kept for RP-initiated logout (`id_token_hint`)


_cache: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def _cached(key: str, fetch: Any, refresh: bool = False) -> Any:
    now = time.monotonic()
    with _lock:
        found = _cache.get(key)
    if found and not refresh and now - found[0] < CACHE_SECONDS:
        return found[1]
    value = fetch()
    with _lock:
        _cache[key] = (now, value)
    return value


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        answer = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise IdentityError("unreachable", type(exc).__name__) from None
    if answer.status_code != 200:
        raise IdentityError("provider", f"{url} answered {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        raise IdentityError("provider", f"{url} did not answer JSON") from None
    if not isinstance(body, dict):
        raise IdentityError("provider", f"{url} did not answer a JSON object")
    return body


def discover(settings: OidcSettings, refresh: bool = False) -> dict[str, Any]:
    """The provider's metadata; its `issuer` must be the configured one (OIDC Discovery §4.3)."""
    if not settings.issuer:
        raise IdentityError("unreachable", "no issuer configured")
    issuer = settings.issuer

    def fetch() -> dict[str, Any]:
        doc = _get_json(f"{issuer}/.well-known/openid-configuration", settings.timeout)
        if doc.get("issuer") != issuer:
            raise IdentityError("provider", f"discovery names issuer {doc.get('issuer')!r}, not {issuer!r}")
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(needed), str):
                raise IdentityError("provider", f"discovery lacks {needed}")
        return doc

    return _cached(f"doc:{issuer}", fetch, refresh)  # type: ignore[no-any-return]


def known_standin(settings: OidcSettings) -> bool:
    """Whether the provider's discovery, as last fetched (never fetched here: pages ask this while rendering),
    says it is a stand-in."""
    with _lock:
        found = _cache.get(f"doc:{settings.issuer}")
    return bool(found and found[1].get("standin") is True)


def provider_keys(settings: OidcSettings, refresh: bool = False) -> KeySet:
    doc = discover(settings)
    try:
        return _cached(f"jwks:{doc['jwks_uri']}",  # type: ignore[no-any-return]
                       lambda: KeySet.import_key_set(_get_json(doc["jwks_uri"], settings.timeout)),  # type: ignore[arg-type]
                       refresh)
    except (JoseError, ValueError, TypeError) as exc:
        raise IdentityError("provider", f"unreadable JWKS: {type(exc).__name__}") from None


def _session(settings: OidcSettings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(settings.client_id, settings.client_secret, scope=settings.scope,
                         redirect_uri=redirect_uri, code_challenge_method="S256", default_timeout=settings.timeout)


def begin(settings: OidcSettings, redirect_uri: str) -> tuple[str, Pending]:
    doc = discover(settings)
    pending = Pending(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), redirect_uri)
    extra = {"acr_values": settings.acr_values} if settings.acr_values else {}
    url, _ = _session(settings, redirect_uri).create_authorization_url(
        doc["authorization_endpoint"], state=pending.state, nonce=pending.nonce, code_verifier=pending.verifier,
        **extra)
    return url, pending


def validate_id_token(id_token: str, keys: KeySet, issuer: str, client_id: str, nonce: str,
                      now: int | None = None, leeway: int = LEEWAY) -> dict[str, Any]:
    """The ID token's claims, once every check of OIDC Core §3.1.3.7 that applies here has passed."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, TypeError) as exc:
        raise IdentityError("token", f"signature: {type(exc).__name__}") from None
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=leeway, iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce})
    try:
        registry.validate(token.claims)
    except JoseError as exc:  # ExpiredTokenError, InvalidClaimError, MissingClaimError: name the claim
        raise IdentityError("token", f"claims: {getattr(exc, 'claim', '')} {exc.error}") from None
    aud = token.claims["aud"]
    azp = token.claims.get("azp")
    if ((isinstance(aud, list) and len(aud) > 1) or azp is not None) and azp != client_id:
        raise IdentityError("token", "claims: azp is not this client")
    return dict(token.claims)


def _checked(settings: OidcSettings, id_token: str, nonce: str) -> dict[str, Any]:
    assert settings.issuer
    try:
        return validate_id_token(id_token, provider_keys(settings), settings.issuer, settings.client_id, nonce)
    except IdentityError as exc:
        if not exc.reason.startswith("signature"):
            raise
    # perhaps the provider rotated its keys: fetch them once more, then judge
    return validate_id_token(id_token, provider_keys(settings, refresh=True), settings.issuer, settings.client_id,
                             nonce)


def finish(settings: OidcSettings, params: Mapping[str, str], pending: Pending | None) -> Identity:
    state = params.get("state") or ""
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise IdentityError("state", "the state does not match this browser's sign-in")
    if params.get("error"):
        raise IdentityError("provider", str(params.get("error"))[:100])
    if params.get("iss") and params["iss"] != settings.issuer:  # RFC 9207: a mix-up with another provider
        raise IdentityError("provider", "the answer names another issuer")
    if not params.get("code"):
        raise IdentityError("provider", "no code in the answer")
    doc = discover(settings)
    client = _session(settings, pending.redirect_uri)
    try:
        token = client.fetch_token(doc["token_endpoint"], code=params["code"], code_verifier=pending.verifier)
    except AuthlibBaseError as exc:  # e.g. invalid_grant: a code used already, or expired
        raise IdentityError("provider", str(exc.error)[:100]) from None
    except requests.RequestException as exc:
        raise IdentityError("unreachable", type(exc).__name__) from None
    raw = token.get("id_token")
    if not isinstance(raw, str):
        raise IdentityError("token", "no ID token")
    claims = _checked(settings, raw, pending.nonce)
    userinfo: dict[str, Any] = {}
    if isinstance(doc.get("userinfo_endpoint"), str):
        try:
            answer = client.get(doc["userinfo_endpoint"], headers={"Accept": "application/json"})
            userinfo = answer.json() if answer.status_code == 200 else {}
        except (requests.RequestException, ValueError):
            raise IdentityError("unreachable", "userinfo") from None
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise IdentityError("token", "userinfo is not the token's subject")
    return Identity(claims, userinfo, raw)


def logout_url(settings: OidcSettings, id_token: str | None, after: str) -> str | None:
    """RP-initiated logout at the provider, when it offers one (None otherwise or when it cannot be reached)."""
    try:
        endpoint = discover(settings).get("end_session_endpoint")
    except IdentityError:
        return None
    if not isinstance(endpoint, str):
        return None
    query = {"client_id": settings.client_id, "post_logout_redirect_uri": after}
    if id_token:
        query["id_token_hint"] = id_token
    return requests.Request("GET", endpoint, params=query).prepare().url
