"""The leaders' dashboard: figures by unit, procedure and month; overdue dossiers; escalations; CSV."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..pages import DASHBOARD_ROLES, page

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@page(*DASHBOARD_ROLES)
def overview() -> str:
    return render_template("dashboard/overview.html")
