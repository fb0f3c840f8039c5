"""gzip for browsers that ask for it: pages, API JSON and static files; nothing changes for those that do not."""

from __future__ import annotations

import gzip

from flask import Flask


def test_pages_and_static_files_are_gzipped_for_browsers_that_accept_it(app: Flask) -> None:
    client = app.test_client()
    plain = client.get("/procedures/gpxd-nha-o")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    packed = client.get("/procedures/gpxd-nha-o", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2

    css = client.get("/static/css/motcua.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    original = client.get("/static/css/motcua.css")
    assert gzip.decompress(css.data) == original.data
    etag = css.headers["ETag"]
    assert etag.startswith("W/")
    again = client.get("/static/css/motcua.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304  # the weak validator still lets the browser revalidate cheaply


def test_api_json_is_gzipped_and_small_bodies_are_left_alone(app: Flask) -> None:
    client = app.test_client()
    big = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert big.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big.data).startswith(b"{")
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers and small.get_json()["health"] == "degraded"  # no scheduler
