"""The administrators' blueprint and what its pages share: the role check, reading a form's text fields, and
the engine's (English) field messages said in the page's language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _

from engine.errors import Forbidden
from engine.people.accounts import list_roles, list_units
from engine.store.uow import UnitOfWork

from ...i18n import select_locale
from ...pages import page_actor

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only() -> None:
    actor = page_actor()
    if actor is not None and "admin" not in actor.roles:  # a visitor: the view's @page sends it to sign in
        raise Forbidden("this page is for administrators", roles=["admin"])


def text(name: str, limit: int = 1000) -> str | None:
    """A form's text field, trimmed; None when empty. Cut at `limit` so a pasted novel cannot go further."""
    value = request.form.get(name, "").strip()[:limit]
    return value or None


def _messages() -> dict[str, str]:
    return {
        "Letters, digits, dot, dash or underscore; at most 64.":
            _("Chỉ gồm chữ cái, chữ số, dấu chấm, gạch ngang, gạch dưới; tối đa 64 ký tự."),
        "A unit with this code exists.": _("Đã có đơn vị với mã này."),
        "1 to 300 characters.": _("Bắt buộc nhập, tối đa 300 ký tự."),
        "1 to 200 characters.": _("Bắt buộc nhập, tối đa 200 ký tự."),
        "One of: province, commune.": _("Chọn cấp tỉnh hoặc cấp xã."),
        "Choose the unit above it.": _("Hãy chọn đơn vị cấp trên."),
        "Not itself.": _("Đơn vị không thể là cấp trên của chính nó."),
        "Not below itself.": _("Không thể đặt đơn vị dưới một đơn vị trực thuộc chính nó."),
        "Not a valid phone number.": _("Số điện thoại không hợp lệ."),
        "At most 500 characters.": _("Tối đa 500 ký tự."),
        "At most 300 characters.": _("Tối đa 300 ký tự."),
        "At most 200 characters.": _("Tối đa 200 ký tự."),
        "At least 8 characters.": _("Mật khẩu cần ít nhất 8 ký tự."),
        "3 to 64 characters: lowercase letters, digits, dot, dash or underscore.":
            _("Từ 3 đến 64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang, gạch dưới."),
        "Not a valid email address.": _("Địa chỉ email không hợp lệ."),
        "The top-level unit cannot be closed.": _("Không thể ngừng hoạt động đơn vị cấp cao nhất."),
        "Say why (the decision).": _("Hãy ghi lý do (số quyết định, văn bản)."),
    }


def say(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors from the engine in the page's language (a message not known here is shown as it is)."""
    known = _messages()
    said: dict[str, list[str]] = {}
    for key, messages in errors.items():
        items = messages if isinstance(messages, list) else [messages]
        said[key] = [known.get(m, m) if isinstance(m, str) else str(m) for m in items]
    return said


def role_labels(uow: UnitOfWork) -> dict[str, str]:
    """Role code -> its stored name in the page's language."""
    english = select_locale() == "en"
    return {role.code: role.name_en if english else role.name_vi for role in list_roles(uow)}


def unit_labels(uow: UnitOfWork) -> dict[str, str]:
    return {unit.code: unit.name for unit in list_units(uow)}
