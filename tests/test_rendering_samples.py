"""Writes a rendered form 01, result and register to MOTCUA_RENDER_SAMPLES (a folder) when that variable is set:
the pictures the closing note describes. Skipped otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

from .conftest import Api
from .test_flow import run_to_end, submit

HKD = "ho-kinh-doanh"


@pytest.mark.skipif(not os.environ.get("MOTCUA_RENDER_SAMPLES"), reason="MOTCUA_RENDER_SAMPLES not set")
def test_write_samples(app: Flask) -> None:
    folder = Path(os.environ["MOTCUA_RENDER_SAMPLES"])
    folder.mkdir(parents=True, exist_ok=True)
    api = Api(app.test_client())
    code = submit(api, HKD)["code"]
    (folder / "form01.pdf").write_bytes(api.get(f"/dossiers/{code}/documents/receipt.pdf", "tiepnhan").get_data())
    run_to_end(api, HKD, code)
    (folder / "result.pdf").write_bytes(api.get(f"/dossiers/{code}/documents/result.pdf", "lanhdao").get_data())
    submit(api, HKD)
    (folder / "register.pdf").write_bytes(api.get("/dossiers/export.pdf?unit=CM-AX", "chuyenvien").get_data())
