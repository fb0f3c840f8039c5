"""The officer's pages: inbox, task, dossier, hand-over."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..pages import OFFICER_ROLES, page

bp = Blueprint("officer", __name__)


@bp.get("/inbox")
@page(*OFFICER_ROLES)
def inbox() -> str:
    return render_template("officer/inbox.html")
