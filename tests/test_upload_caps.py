"""Files per submission and per document are capped (MOTCUA_UPLOAD_MAX_FILES, _PER_DOCUMENT): too many are
refused with a problem (413 while the body is read, 422 when counted) and not one file is stored."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from flask import Flask

from .conftest import Api
from .test_flow import PATHS
from .test_portal import APPLICANT, GPXD, PDF, REQUIRED, counts
from .test_portal import api as api
from .test_portal import portal_app as portal_app


def stored_files(app: Flask) -> list[Path]:
    root = app.extensions["motcua"].settings.upload_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(api: Api, parts: list[tuple[str, int]], applicant: dict[str, Any] | None = None) -> Any:
    """A submission with `n` distinct PDF files for each (document, n)."""
    submission = {"procedure": GPXD, "applicant": applicant or APPLICANT, "competent_unit": "CM-AX",
                  "data": PATHS[GPXD]["start"]}
    data: dict[str, Any] = {"submission": json.dumps(submission)}
    for document, n in parts:
        data[f"file:{document}"] = [(io.BytesIO(PDF + f"% {document} {i}\n".encode()), f"{document}-{i}.pdf")
                                    for i in range(n)]
    return api.client.post("/api/v1/public/dossiers", content_type="multipart/form-data", data=data)


def test_nine_hundred_files_are_refused_before_any_is_stored(portal_app: Flask, api: Api) -> None:
    resp = post(api, [(REQUIRED[0], 900)])
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["max_parts"] == 120 and "at most" in body["detail"]
    assert counts(portal_app) == (0, 0) and stored_files(portal_app) == []


def test_more_files_than_a_submission_may_carry(portal_app: Flask, api: Api) -> None:
    resp = post(api, [(REQUIRED[0], 5), (REQUIRED[1], 5), (REQUIRED[2], 5), ("ban-sao-giay-to-tuy-than", 5),
                      ("khac", 1)])
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"]["files"] == {"_all": ["Too many files in one submission."]}
    assert counts(portal_app) == (0, 0) and stored_files(portal_app) == []


def test_more_files_than_one_document_may_have(portal_app: Flask, api: Api) -> None:
    resp = post(api, [(REQUIRED[0], 6), (REQUIRED[1], 1), (REQUIRED[2], 1)], applicant={**APPLICANT, "phone": "x"})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["files"] == {REQUIRED[0]: ["Too many files for this document."]}
    assert "phone" in errors["applicant"]  # every problem at once
    assert counts(portal_app) == (0, 0) and stored_files(portal_app) == []
    accepted = post(api, [(REQUIRED[0], 5), (REQUIRED[1], 1), (REQUIRED[2], 1)])
    assert accepted.status_code == 201 and len(accepted.get_json()["attachments"]) == 7
    limits = api.get(f"/public/procedures/{GPXD}").get_json()["upload"]
    assert (limits["max_files"], limits["max_files_per_document"]) == (20, 5)


def test_the_submission_page_refuses_them_and_keeps_what_was_typed(portal_app: Flask) -> None:
    client = portal_app.test_client()
    page = client.get(f"/procedures/{GPXD}/submit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    submission = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert token and submission
    form: dict[str, Any] = {"csrf_token": token[1], "submission_token": submission[1], "competent_unit": "CM-AX",
                            "data": json.dumps(PATHS[GPXD]["start"]),
                            **{f"applicant_{k}": v for k, v in APPLICANT.items()}}
    crowded = {**form, f"file:{REQUIRED[0]}": [(io.BytesIO(PDF), f"{i}.pdf") for i in range(6)]}
    refused = client.post(f"/procedures/{GPXD}/submit", data=crowded, content_type="multipart/form-data")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'data-error-for="files.{REQUIRED[0]}"' in html and "Quá nhiều tệp cho giấy tờ này." in html
    assert APPLICANT["address"] in html  # what was typed is kept
    flood = {**form, f"file:{REQUIRED[0]}": [(io.BytesIO(PDF), f"{i}.pdf") for i in range(900)]}
    too_big = client.post(f"/procedures/{GPXD}/submit", data=flood, content_type="multipart/form-data")
    assert too_big.status_code == 413 and too_big.mimetype == "text/html"
    assert counts(portal_app) == (0, 0) and stored_files(portal_app) == []
