"""Errors on pages are pages: the same problem (status, code, detail) as the API, rendered as HTML."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .pages import WEB_BLUEPRINTS


def wants_page() -> bool:
    return request.blueprint in WEB_BLUEPRINTS or (
        request.blueprint is None and not request.path.startswith("/api/") and request.path != "/healthz")


def render_problem(status: int, body: dict[str, Any]) -> Response:
    if status == 401:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
    g.no_new_session = True
    html = render_template("error.html", status=status, problem=body)
    return Response(html, status=status, mimetype="text/html")


def register_error_pages(app: Flask) -> None:
    app.extensions["motcua.error_page"] = (wants_page, render_problem)
