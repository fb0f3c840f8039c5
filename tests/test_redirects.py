"""`next` leads only to a path on this site, however it is disguised: the function, and every place that reads
`next` (sign-in, sign-out, the language switch, the officers' forms)."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask

from api.web.redirects import same_site_path

from .conftest import PASSWORD

BASE = "http://motcua.test/"
HOSTILE = [
    # scheme-relative and absolute
    "//evil.example", "///evil.example", "////evil.example/x", "https://evil.example/", "http:evil.example",
    "http:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "evil.example",
    "@evil.example", ".", "",
    # backslashes, which browsers read as slashes
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
    # what browsers strip: tabs, newlines, other controls, leading spaces
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
    "/ /evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/\x85/evil.example", "/\x0b/evil.example",
    # percent-encoded, once or more (the issue's own case first)
    "/%09/evil.example", "/%0a/evil.example", "/%0D%0A/evil.example", "/%00/evil.example", "/%20/evil.example",
    "%2F%2Fevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%5c%5cevil.example",
    "/%255C/evil.example", "/%252F/evil.example", "/%2509/evil.example", "/%25252F/evil.example",
    "/%2525252525252F/evil.example", "/%C0%AF/evil.example", "/%E0%80%AF/evil.example", "/%FF/evil.example",
    # Unicode: separators, invisible format characters, compatibility forms of / and \
    "/\u3000/evil.example", "/%E3%80%80/evil.example", "/\u00a0/evil.example", "/\u2028/evil.example",
    "/\u200b/evil.example", "/%E2%80%8B/evil.example", "/\u202e/evil.example", "/\ufeff/evil.example",
    "/\u180e/evil.example", "/\uff0fevil.example", "/%EF%BC%8Fevil.example", "\uff0f\uff0fevil.example",
    "/\uff3cevil.example", "/\ufe68evil.example", "/%EF%BC%BCevil.example",
    # too long to be a link of ours
    "/" + "a" * 2001,
]
SAFE = ["/", "/inbox", "/tasks?view=team", "/inbox?view=claimable&q=h%E1%BB%99%20kinh%20doanh",
        "/dossiers/CM-AX-260101-00001", "/designer/ho-kinh-doanh/versions/2", "/procedures/x?lang=en#top",
        "/a/b//c", "/notifications/", "/track?code=CM-AX-260101-00001", "/thủ-tục"]


def browser_target(location: str) -> str:
    """Where a browser goes: it strips tabs and newlines (and leading controls), reads \\ as /."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(0x21)))).replace("\\", "/")
    return urlsplit(urljoin(BASE, cleaned)).netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target: str) -> None:
    assert same_site_path(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_site_paths_are_kept(target: str) -> None:
    assert same_site_path(target) == target
    assert browser_target(target) == "motcua.test"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_every_next_reader_refuses_them(app: Flask) -> None:
    """The language switch, sign-in and sign-out, with each hostile target as the browser would send it."""
    for target in HOSTILE:
        if "\x00" in target or "%00" in target:
            continue  # refused earlier still: a NUL anywhere in the URL is a 400 (test_robustness)
        encoded = quote(target, safe="")
        client = app.test_client()
        lang = client.get(f"/lang/en?next={encoded}")
        assert lang.status_code == 302 and lang.headers["Location"] == "/", target
        token = _csrf(client.get("/login").get_data(as_text=True))
        page = client.get(f"/login?next={encoded}").get_data(as_text=True)
        assert 'name="next" value=""' in page, target  # not even carried into the form
        signed = client.post("/login", data={"csrf_token": token, "username": "chuyenvien", "password": PASSWORD,
                                             "next": target})
        assert signed.status_code == 302 and signed.headers["Location"] == "/inbox", target
        token = _csrf(client.get("/notifications/").get_data(as_text=True))
        out = client.post("/logout", data={"csrf_token": token, "next": target})
        assert out.status_code == 302 and out.headers["Location"] == "/", target
        for response in (lang, signed, out):
            assert browser_target(response.headers["Location"]) == "motcua.test"


def test_site_paths_are_followed(app: Flask) -> None:
    client = app.test_client()
    for target in SAFE:
        lang = client.get(f"/lang/vi?next={quote(target, safe='')}")
        assert lang.status_code == 302 and browser_target(lang.headers["Location"]) == "motcua.test"
        assert urlsplit(lang.headers["Location"]).path.startswith("/")
    assert client.get("/lang/vi?next=%2Finbox%3Fview%3Dteam").headers["Location"] == "/inbox?view=team"
