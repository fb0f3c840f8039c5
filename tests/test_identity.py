"""Citizens sign in through the national single sign-on (VNeID) with OpenID Connect, against the real stand-in
provider (npm `oidc-provider`) started once per session: the code flow with PKCE, state and nonce; the signed-in
citizen's prefilled and re-checked submission, "Hồ sơ của tôi" without a PIN, another person's dossier hidden;
and the hostile paths: forged state, cancelled or replayed callbacks, and ID tokens that are expired, for another
client, for another nonce or signed by another key (both databases where the database is involved)."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from connectors.identity import client as oidc
from connectors.identity.config import OidcSettings
from connectors.identity.standin import StandinProvider
from engine.dossiers.models import Dossier
from engine.people.models import User
from engine.store.models import AuditEntry

from .identity_provider import AN, BICH, BUSINESS, CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT, log_in_at_provider
from .test_flow import PATHS
from .test_officer_pages import signed_in
from .test_portal import GPXD, files
from .test_portal import portal_app as portal_app

SUBMIT = f"/procedures/{GPXD}/submit"


def sign_in(client: FlaskClient, account: str | None, next_path: str = "") -> Any:
    """The citizen clicks "Đăng nhập bằng VNeID", logs in at the provider, and comes back: Motcua's answer."""
    start = client.get("/citizen/login" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 303, start.get_data(as_text=True)
    back = urlparse(log_in_at_provider(start.location, account))
    assert back.path == "/citizen/callback"
    return client.get(f"{back.path}?{back.query}")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def form_fields(html: str) -> dict[str, str]:
    found = dict(re.findall(r'name="(applicant_[a-z_]+)" value="([^"]*)"', html))
    token = re.search(r'name="submission_token" value="([^"]+)"', html)
    assert token
    return {**found, "submission_token": token.group(1), "csrf_token": csrf(html)}


def post_submit(client: FlaskClient, fields: dict[str, str]) -> Any:
    body = {**fields, "competent_unit": "CM-AX", "data": json.dumps(PATHS[GPXD]["start"]), **files()}
    return client.post(SUBMIT, data=body, content_type="multipart/form-data")


def test_a_citizen_signs_in_submits_prefilled_and_finds_the_dossier_without_a_pin(portal_app: Flask,
                                                                                  vneid: StandinProvider) -> None:
    client = portal_app.test_client()
    assert "data-vneid-login" in client.get("/").get_data(as_text=True)  # offered in the header
    signed = sign_in(client, AN, SUBMIT)
    assert "data-standin" in portal_app.test_client().get("/").get_data(as_text=True)  # said to be a stand-in
    assert signed.status_code == 303 and signed.location == SUBMIT
    with portal_app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "citizen_signed_in")).one()
    assert entry.detail["via"] == "vneid" and entry.detail["kind"] == "person" and AN not in json.dumps(entry.detail)

    shown = client.get(SUBMIT)
    html = shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"  # the citizen's data, on a perhaps shared computer
    assert 'data-citizen="person"' in html and "Nguyễn Văn An" in html  # the header names the citizen
    assert re.search(r'name="applicant_id_number" value="001099012345"[^>]*readonly data-source="vneid"', html)
    assert "Từ tài khoản định danh điện tử VNeID" in html
    fields = form_fields(html)
    assert fields["applicant_name"] == "Nguyễn Văn An" and fields["applicant_phone"] == "0912345678"

    tampered = post_submit(client, {**fields, "applicant_id_number": BICH})  # the read-only field, edited
    assert tampered.status_code == 422
    assert "Khác với thông tin trong tài khoản định danh điện tử VNeID" in tampered.get_data(as_text=True)

    sent = post_submit(client, fields)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    receipt = client.get("/receipt").get_data(as_text=True)
    code = re.search(r"data-code>([^<]+)<", receipt)
    assert code and "data-pin>" in receipt and "data-in-my-dossiers" in receipt  # the PIN is still given
    with portal_app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code[1])).one()
        assert dossier.applicant_key == AN and dossier.applicant_kind == "person"
        assert dossier.field_sources == {f: "vneid" for f in ("name", "id_number", "phone", "email", "address")}
        assert set(dossier.reused_fields or []) == set(dossier.field_sources)

    api = client.get("/api/v1/citizen/dossiers").get_json()
    assert [d["code"] for d in api["items"]] == [code[1]] and api["items"][0]["status"] == "registered"
    listed = client.get("/my-dossiers").get_data(as_text=True)
    assert f'data-dossier="{code[1]}"' in listed and 'data-status="registered"' in listed
    page = client.get(f"/my-dossiers/{code[1]}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'data-tracked="{code[1]}"' in page.get_data(as_text=True)

    other = portal_app.test_client()  # another person signs in: An's dossier is not theirs
    sign_in(other, BICH)
    assert f'data-dossier="{code[1]}"' not in other.get("/my-dossiers").get_data(as_text=True)
    assert other.get(f"/my-dossiers/{code[1]}").status_code == 404

    out = client.post("/citizen/logout", data={"csrf_token": csrf(listed)})
    assert out.status_code == 200 and "data-provider-logout" in out.get_data(as_text=True)
    assert client.get("/my-dossiers").status_code == 303  # signed out: to the sign-in again
    assert client.get("/api/v1/citizen/dossiers").status_code == 401


def test_a_business_signs_in_with_its_tax_code(portal_app: Flask, vneid: StandinProvider) -> None:
    client = portal_app.test_client()
    sign_in(client, BUSINESS)
    html = client.get(SUBMIT).get_data(as_text=True)
    assert 'data-citizen="business"' in html and "applicant_id_number" not in html
    fields = form_fields(html)
    assert fields["applicant_tax_code"] == BUSINESS and fields["applicant_representative"] == "Lê Văn Cường"
    assert fields["applicant_name"] == "Công ty TNHH Mũi Cà Mau"
    assert post_submit(client, fields).status_code == 302
    with portal_app.extensions["motcua"].session_factory() as session:
        dossier = session.scalars(select(Dossier)).one()
    assert (dossier.applicant_kind, dossier.applicant_key) == ("business", BUSINESS)
    assert dossier.field_sources and dossier.field_sources["tax_code"] == "vneid"
    assert f'data-dossier="{dossier.code}"' in client.get("/my-dossiers").get_data(as_text=True)

def test_hostile_callbacks_are_refused_with_a_page_never_a_5xx(app: Flask, vneid: StandinProvider) -> None:
    client = app.test_client()
    start = client.get("/citizen/login")
    back = urlparse(log_in_at_provider(start.location, AN))
    forged = {**{k: v[0] for k, v in parse_qs(back.query).items()}, "state": "not-the-state"}
    refused = client.get("/citizen/callback", query_string=forged)
    assert refused.status_code == 400 and 'data-citizen-error="state"' in refused.get_data(as_text=True)
    # the pending sign-in was used by that attempt: the genuine answer, replayed now, is refused too
    assert client.get(f"{back.path}?{back.query}").status_code == 400
    assert client.get("/my-dossiers").status_code == 303  # nobody is signed in

    replayer = app.test_client()
    first = urlparse(log_in_at_provider(replayer.get("/citizen/login").location, AN))
    assert replayer.get(f"{first.path}?{first.query}").status_code == 303
    again = replayer.get(f"{first.path}?{first.query}")  # the same callback twice
    assert again.status_code == 400 and "Chưa đăng nhập được bằng VNeID" in again.get_data(as_text=True)

    cancelled = app.test_client()
    answer = urlparse(log_in_at_provider(cancelled.get("/citizen/login").location, None))
    page = cancelled.get(f"{answer.path}?{answer.query}")
    assert page.status_code == 403 and 'data-citizen-error="provider"' in page.get_data(as_text=True)

    officer_account = app.test_client()  # an account without a personal id (no TechID): not a citizen
    assert sign_in(officer_account, "tiepnhan").status_code == 403


def test_a_provider_that_does_not_answer_is_said_plainly(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_VNEID_ISSUER", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MOTCUA_VNEID_CLIENT_ID", CLIENT_ID)
    page = app.test_client().get("/citizen/login")
    assert page.status_code == 409 and 'data-citizen-error="unreachable"' in page.get_data(as_text=True)
    monkeypatch.delenv("MOTCUA_VNEID_ISSUER")
    assert "data-vneid-login" not in app.test_client().get("/").get_data(as_text=True)
    assert app.test_client().get("/citizen/login").status_code == 409


# --- ID tokens checked against the provider's real keys -------------------------------------------------
def settings(provider: StandinProvider, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> OidcSettings:
    return OidcSettings(provider.url, client_id, secret, "openid profile", None, None, 5.0)


def real_id_token(provider: StandinProvider, client_id: str, secret: str) -> tuple[str, str]:
    """An ID token the provider really issued to `client_id`, and the nonce it was asked for."""
    s = settings(provider, client_id, secret)
    url, pending = oidc.begin(s, "http://localhost/citizen/callback")
    back = urlparse(log_in_at_provider(url, AN))
    identity = oidc.finish(s, {k: v[0] for k, v in parse_qs(back.query).items()}, pending)
    return identity.raw_id_token, pending.nonce


def test_id_tokens_expired_for_another_client_nonce_or_key_are_refused(oidc_provider: StandinProvider) -> None:
    keys = oidc.provider_keys(settings(oidc_provider), refresh=True)
    token, nonce = real_id_token(oidc_provider, CLIENT_ID, CLIENT_SECRET)
    claims = oidc.validate_id_token(token, keys, oidc_provider.url, CLIENT_ID, nonce)
    assert claims["sub"] and claims["aud"] == CLIENT_ID

    def refused(why: str, *args: Any, **kwargs: Any) -> None:
        with pytest.raises(oidc.IdentityError) as caught:
            oidc.validate_id_token(*args, **kwargs)
        assert caught.value.kind == "token" and why in caught.value.reason, caught.value.reason

    refused("nonce", token, keys, oidc_provider.url, CLIENT_ID, "another-nonce")
    refused("exp", token, keys, oidc_provider.url, CLIENT_ID, nonce, now=int(claims["exp"]) + 61)
    refused("iat", token, keys, oidc_provider.url, CLIENT_ID, nonce, now=int(claims["iat"]) - 120)
    refused("iss", token, keys, "http://127.0.0.1:1", CLIENT_ID, nonce)
    other, other_nonce = real_id_token(oidc_provider, OTHER_CLIENT, CLIENT_SECRET + "-khac")
    refused("aud", other, keys, oidc_provider.url, CLIENT_ID, other_nonce)  # a real token, for another client

    kid = keys.keys[0].kid
    forger = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256"})  # the provider's key id, not its key
    now = int(time.time())
    forged = jwt.encode({"alg": "RS256", "kid": kid}, {**claims, "iat": now, "exp": now + 300}, forger)
    refused("signature", forged, keys, oidc_provider.url, CLIENT_ID, nonce)
    secret = {"kty": "oct", "k": "bWF0LWtoYXUtY3VhLW5ndW9pLWtoYWMtMDEyMzQ1Njc4OQ"}  # e.g. the client secret
    hmac_signed = jwt.encode({"alg": "HS256"}, {**claims, "iat": now, "exp": now + 300},
                             KeySet.import_key_set({"keys": [secret]}).keys[0])
    refused("signature", hmac_signed, keys, oidc_provider.url, CLIENT_ID, nonce)


def test_officers_sign_in_through_the_province_provider_to_their_own_account(
        app: Flask, oidc_provider: StandinProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ISSUER": oidc_provider.url, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}.items():
        monkeypatch.setenv(f"MOTCUA_OFFICER_OIDC_{name}", value)

    def through_provider(account: str) -> Any:
        client = app.test_client()
        assert "data-officer-oidc" in client.get("/login").get_data(as_text=True)
        back = urlparse(log_in_at_provider(client.get("/login/oidc").location, account))
        assert back.path == "/login/oidc/callback"
        return client, client.get(f"{back.path}?{back.query}")

    client, signed = through_provider("tiepnhan")  # the claim preferred_username names the Motcua account
    assert signed.status_code == 303 and signed.location == "/inbox", signed.location
    assert 'data-user="tiepnhan"' in client.get("/inbox").get_data(as_text=True)

    _, unknown = through_provider("khongco")  # the provider knows them, Motcua does not
    assert unknown.status_code == 403 and "data-oidc-refused" in unknown.get_data(as_text=True)
    with app.extensions["motcua"].session_factory() as session:
        session.scalars(select(User).where(User.username == "tiepnhan")).one().active = False
        session.commit()
    _, disabled = through_provider("tiepnhan")
    assert disabled.status_code == 403
    with app.extensions["motcua"].session_factory() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("signed_in", "signin_refused"))))
        found = {(e.action, e.detail.get("reason")) for e in entries if e.detail.get("via") == "oidc"}
    assert found == {("signed_in", None), ("signin_refused", "unknown"), ("signin_refused", "disabled")}


def test_the_connectors_page_shows_the_stand_in_provider(app: Flask, vneid: StandinProvider,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTCUA_OFFICER_OIDC_ISSUER", raising=False)
    client, _csrf = signed_in(app, "quantri")
    html = client.get("/admin/connectors").get_data(as_text=True)
    found = re.search(r'<tr data-connector="identity".*?</tr>', html, re.S)
    assert found and 'data-status="ok" data-configured="1"' in found.group(0)
    assert "Máy chủ giả lập (stand-in)" in found.group(0) and CLIENT_SECRET not in html
    officer = re.search(r'<tr data-connector="officer_oidc".*?</tr>', html, re.S)
    assert officer and 'data-status="not-configured"' in officer.group(0)
