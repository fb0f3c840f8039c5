"""The procedure designer: procedures and versions, the modeler, forms, diff, what-if, publish, migrate."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..pages import DESIGNER_ROLES, page

bp = Blueprint("designer", __name__, url_prefix="/designer")


@bp.get("/")
@page(*DESIGNER_ROLES)
def procedures() -> str:
    return render_template("designer/procedures.html")
