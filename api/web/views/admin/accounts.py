"""Accounts: the list (by unit, searched without diacritics), a new account with its first membership, an
account's name and e-mail, disabling and enabling it, a new password (the administrator's, or a temporary one
shown once), memberships added and taken away. The engine's rules are the API's (/users): an administrator
changes only accounts whose every role it could grant. A password set here must be changed by the officer at
the next sign-in (password_change.py).

A generated password is shown post/redirect/get: the POST keeps it in the session and redirects; the account
page's next GET takes it out and shows it. A reload shows it no more and resets nothing (reloading the answer
to a POST would have reset the password again). It rides in the signed, HttpOnly session cookie for that one
redirect, as it rode in the answer to the POST before; it is not kept anywhere on the server."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Conflict, ValidationFailed
from engine.people.accounts import change_membership, manages, new_user, patch_user
from engine.people.administration import (
    administered_units,
    check_account,
    find_accounts,
    grantable_roles,
    managed_account,
    reset_password,
)
from engine.people.organisation import memberships_of
from engine.people.passwords import temporary_password

from ....services import request_uow
from ...pages import page, page_actor
from .blueprint import bp, role_labels, say, text, unit_labels

SHOWN_ONCE = "shown_password"  # the session's key: {"user": id, "password": the generated one}


def _show_once(user_id: int, password: str) -> None:
    session[SHOWN_ONCE] = {"user": user_id, "password": password}


def _take_shown(user_id: int) -> str | None:
    """The generated password kept for this account's page, taken out of the session (so: shown once)."""
    kept = session.pop(SHOWN_ONCE, None)
    if isinstance(kept, dict) and kept.get("user") == user_id and isinstance(kept.get("password"), str):
        return kept["password"]
    return None


@bp.get("/accounts")
@page("admin")
def accounts() -> str:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    unit, query = request.args.get("unit") or None, request.args.get("q", "")[:200]
    rows = find_accounts(uow, actor, unit, query)
    return render_template("admin/accounts.html", rows=rows, unit=unit or "", q=query,
                           units=administered_units(uow, actor), roles=role_labels(uow), unit_names=unit_labels(uow))


def _new_form(values: dict[str, Any], errors: dict[str, list[str]], status: int) -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    return render_template("admin/account_new.html", values=values, errors=errors,
                           units=administered_units(uow, actor), roles=grantable_roles(uow, actor),
                           role_names=role_labels(uow)), status


@bp.route("/accounts/new", methods=["GET", "POST"])
@page("admin")
def new_account() -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    if request.method == "GET":
        return _new_form({"unit": request.args.get("unit", "")}, {}, 200)
    values = {"username": (text("username", 64) or "").lower(), "full_name": text("full_name", 200),
              "email": text("email", 200), "password": request.form.get("password", "")[:200],
              "unit": text("unit", 64) or "", "role": text("role", 64) or ""}
    errors: dict[str, list[str]] = {}
    try:
        check_account(values, new=True)
    except ValidationFailed as exc:
        errors.update(say(exc.errors))
    if not values["unit"]:
        errors["unit"] = [_("Hãy chọn đơn vị.")]
    if not values["role"]:
        errors["role"] = [_("Hãy chọn vai trò.")]
    password = values["password"] or temporary_password()
    if not errors:
        try:  # Forbidden (a role or unit beyond this administrator): the 403 page
            first = [{"unit": values["unit"], "role": values["role"]}]
            user, _memberships = new_user(uow, actor, {**values, "password": password, "memberships": first})
        except ValidationFailed as exc:
            errors.update(say(exc.errors))
        except Conflict:
            errors["username"] = [_("Tên đăng nhập này đã có người dùng.")]
    if errors:
        uow.session.rollback()
        return _new_form({**values, "password": ""}, errors, 422)
    if not values["password"]:  # the first password is shown once, on the account's page, when none was chosen
        _show_once(user.id, password)
    flash(_("Đã tạo tài khoản %(name)s.", name=user.username))
    return redirect(url_for("admin.account", user_id=user.id), 303)


def _account_page(user_id: int, status: int = 200, errors: dict[str, list[str]] | None = None,
                  values: dict[str, Any] | None = None, shown_password: str | None = None) -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    row = managed_account(uow, actor, user_id)
    return render_template("admin/account.html", row=row, errors=errors or {}, shown_password=shown_password,
                           values=values or {"full_name": row.user.full_name, "email": row.user.email},
                           units=administered_units(uow, actor), roles=grantable_roles(uow, actor),
                           role_names=role_labels(uow), unit_names=unit_labels(uow)), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@page("admin")
def account(user_id: int) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    if request.method == "GET":
        return _account_page(user_id, shown_password=_take_shown(user_id))
    managed_account(uow, actor, user_id)  # 403/404 before anything is read from the form
    values = {"full_name": text("full_name", 200), "email": text("email", 200)}
    try:
        check_account(values, new=False)
    except ValidationFailed as exc:
        return _account_page(user_id, 422, say(exc.errors), values)
    patch_user(uow, actor, user_id, values)
    flash(_("Đã lưu thông tin tài khoản."))
    return redirect(url_for("admin.account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/active")
@page("admin")
def account_active(user_id: int) -> Response:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    active = request.form.get("active") == "1"
    user, _m = patch_user(uow, actor, user_id, {"active": active})  # Forbidden/NotFound: the 403/404 pages
    flash(_("Đã mở lại tài khoản %(name)s.", name=user.username) if active
          else _("Đã khóa tài khoản %(name)s: người này không đăng nhập được nữa.", name=user.username))
    return redirect(url_for("admin.account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/password")
@page("admin")
def account_password(user_id: int) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    chosen = request.form.get("password", "")[:201] or None
    try:
        password = reset_password(uow, actor, user_id, chosen)
    except ValidationFailed as exc:
        uow.session.rollback()
        return _account_page(user_id, 422, say(exc.errors))
    if not chosen:
        _show_once(user_id, password)
    flash(_("Đã đặt mật khẩu mới cho tài khoản. Người dùng phải đổi mật khẩu này khi đăng nhập."))
    return redirect(url_for("admin.account", user_id=user_id), 303)


@bp.post("/accounts/<int:user_id>/memberships")
@page("admin")
def add_membership(user_id: int) -> Response | tuple[str, int]:
    return _membership(user_id, add=True)


@bp.post("/accounts/<int:user_id>/memberships/remove")
@page("admin")
def remove_membership(user_id: int) -> Response | tuple[str, int]:
    return _membership(user_id, add=False)


def _membership(user_id: int, add: bool) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    managed_account(uow, actor, user_id)
    unit, role = text("unit", 64), text("role", 64)
    errors: dict[str, list[str]] = {}
    if not unit:
        errors["unit"] = [_("Hãy chọn đơn vị.")]
    if not role:
        errors["role"] = [_("Hãy chọn vai trò.")]
    if not errors:
        try:  # Forbidden (beyond what this administrator grants): the 403 page; NotFound: no such membership
            change_membership(uow, actor, user_id, unit or "", role or "", add)
        except ValidationFailed as exc:
            errors.update(say(exc.errors))
    if errors:
        uow.session.rollback()
        return _account_page(user_id, 422, errors)
    names = role_labels(uow)
    flash(_("Đã thêm vai trò %(role)s tại %(unit)s.", role=names.get(role or "", role), unit=unit) if add
          else _("Đã bỏ vai trò %(role)s tại %(unit)s.", role=names.get(role or "", role), unit=unit))
    if not manages(actor, memberships_of(uow.session, user_id)):  # its last role here is gone: no longer ours
        return redirect(url_for("admin.accounts"))
    return redirect(url_for("admin.account", user_id=user_id))
