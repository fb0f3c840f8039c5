"""Hostile or odd input never yields a 500, and never changes anything."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api
from .test_flow import open_task, submit

ODD_BODIES: list[bytes] = [
    b"null", b"true", b"1e999", b'"text"', b"{}", b'{"data": null}', b'{"data": []}', b'{"data": "x"}',
    b'{"data": {"ho_so_hop_le": {"$gt": 1}}}', b'{"data": {"ho_so_hop_le": 1e308}}',
    b'{"data": {"x": 123456789012345678901234567890}}', b"[" * 5000 + b"]" * 5000,
    b'{"procedure": null, "applicant": null}', b'{"procedure": ["ho-kinh-doanh"], "applicant": "A"}',
    b'{"procedure": "../../etc/passwd", "applicant": {"name": "A"}}',
    b'{"procedure": "ho-kinh-doanh", "applicant": {"name": "A\\u0000B"}, "data": {"\\u0000": 1}}',
    '{"procedure": "ho-kinh-doanh", "applicant": {"name": "Ồ ố ộ 🏠"}}'.encode(),
    b'{"username": {"a": 1}, "password": []}', b"\xef\xbb\xbf{}", b'{"a": 1, "a": 2}',
]


@pytest.fixture
def open_task_id(api: Api) -> str:
    return open_task(api, submit(api, "ho-kinh-doanh")["code"])["id"]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_bodies_get_a_4xx_problem(api: Api, open_task_id: str, body: bytes) -> None:
    targets: list[tuple[str, str | None]] = [
        ("/auth/token", None), ("/dossiers", "tiepnhan"), (f"/tasks/{open_task_id}/complete", "chuyenvien")]
    for path, user in targets:
        resp = api.post(path, user, data=body, headers={"Content-Type": "application/json"})
        assert 400 <= resp.status_code < 500 or resp.status_code in (200, 201), (path, resp.status_code)
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json"
    assert open_task(api, api.get("/tasks", "chuyenvien").get_json()["items"][0]["dossier"])["id"] == open_task_id


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1", "limit=100000", "bogus=1",
                                   "dossier=' OR 1=1 --"])
def test_odd_queries(api: Api, query: str) -> None:
    resp = api.get(f"/tasks?{query}", "tiepnhan")
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)
    if resp.status_code == 200:
        assert resp.get_json()["total"] == 0


def test_nul_in_the_url_gets_400(api: Api) -> None:
    for path in ["/dossiers/%00", "/tasks?procedure=%00", "/tasks?x%00=1"]:
        resp = api.get(path, "tiepnhan")
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/dossiers/" + "A" * 5000, "/tasks/' OR '1'='1",
                                  "/procedures/..%2F..%2Fetc", "/tasks/%F0%9F%8F%A0"])
def test_odd_ids_get_404(api: Api, path: str) -> None:
    resp: Any = api.get(path, "tiepnhan")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
