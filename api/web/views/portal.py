"""The citizen portal: catalogue, online submission, receipt, tracking, rating. No account needed."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("portal", __name__)


@bp.get("/")
def home() -> str:
    return render_template("portal/home.html")
