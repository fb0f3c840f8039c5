"""Units: the tree (the province, its communes), a unit created or changed in a form, opened or closed.
`put_unit` and `set_unit_active` decide as for PUT /api/v1/units/{code}: only inside the administrator's
subtree, never moved out of it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.people.accounts import list_units, put_unit
from engine.people.administration import administered_units, check_unit, set_unit_active
from engine.people.models import Unit

from ....services import request_uow
from ...pages import page, page_actor
from .blueprint import bp, say, text


@bp.get("/")
@page("admin")
def home() -> Response:
    return redirect(url_for("admin.units"))


@bp.get("/units")
@page("admin")
def units() -> tuple[str, int]:
    return render_units()


def render_units(status: int = 200, error: str | None = None) -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    rows = list_units(uow)
    children: dict[str | None, list[Unit]] = {}
    for unit in rows:
        children.setdefault(unit.parent_code if unit.parent_code in {u.code for u in rows} else None, []).append(unit)
    return render_template("admin/units.html", children=children, roots=children.get(None, []),
                           administers=actor.administers, error=error), status


def _values(existing: Unit | None) -> dict[str, Any]:
    return {"name": text("name", 300), "level": request.form.get("level", ""),
            "parent_code": text("parent_code", 64) if existing is None or "parent_code" in request.form
            else existing.parent_code,
            "address": text("address", 500), "phone": text("phone", 50), "authority": text("authority", 300),
            "active": request.form.get("active") == "1"}


def _form(code: str | None, unit: Unit | None, values: dict[str, Any], errors: dict[str, list[str]],
          status: int) -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    parents = [u for u in administered_units(uow, actor) if u.code != code]
    if unit is not None and unit.parent_code and unit.parent_code not in {p.code for p in parents}:
        current = uow.session.get(Unit, unit.parent_code)  # kept as it is: a commune's own parent is above it
        parents = ([current] if current else []) + parents
    return render_template("admin/unit_form.html", code=code, unit=unit, values=values, errors=errors,
                           parents=parents), status


@bp.route("/units/new", methods=["GET", "POST"])
@page("admin")
def new_unit() -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    if request.method == "GET":
        parent = request.args.get("parent")
        return _form(None, None, {"level": "commune", "active": True, "parent_code": parent}, {}, 200)
    code, values = (text("code", 64) or ""), _values(None)
    try:
        check_unit(uow, code, values, new=True)
        put_unit(uow, actor, code, values)  # Forbidden (a parent outside the subtree): the 403 page
    except ValidationFailed as exc:
        uow.session.rollback()
        return _form(None, None, {**values, "code": code}, say(exc.errors), 422)
    flash(_("Đã tạo đơn vị %(code)s – %(name)s.", code=code, name=values["name"]))
    return redirect(url_for("admin.units"))


@bp.route("/units/<code>", methods=["GET", "POST"])
@page("admin")
def edit_unit(code: str) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    unit = uow.session.get(Unit, code)
    if unit is None:
        raise NotFound(f"unit {code} does not exist")
    if not actor.administers(code):
        raise Forbidden(f"unit {code} is outside this administrator's units")
    if request.method == "GET":
        values = {key: getattr(unit, key) for key in ("name", "level", "parent_code", "address", "phone",
                                                      "authority", "active")}
        return _form(code, unit, values, {}, 200)
    values = _values(unit)
    if unit.parent_code is None:
        values["parent_code"], values["active"] = None, True  # the top stays the top (and open)
    try:
        check_unit(uow, code, values, new=False)
        put_unit(uow, actor, code, values)
    except ValidationFailed as exc:
        uow.session.rollback()
        return _form(code, uow.session.get(Unit, code), values, say(exc.errors), 422)
    flash(_("Đã lưu đơn vị %(code)s.", code=code))
    return redirect(url_for("admin.units"))


@bp.post("/units/<code>/active")
@page("admin")
def unit_active(code: str) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    active = request.form.get("active") == "1"
    try:
        set_unit_active(uow, actor, code, active)
    except ValidationFailed as exc:
        uow.session.rollback()
        return render_units(422, " ".join(m for ms in say(exc.errors).values() for m in ms))
    flash(_("Đơn vị %(code)s đã hoạt động trở lại.", code=code) if active
          else _("Đơn vị %(code)s đã ngừng hoạt động.", code=code))
    return redirect(url_for("admin.units"))
