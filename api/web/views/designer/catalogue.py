"""The national catalogue page: a file of national procedure records (or the portal's, when configured)
imported as drafts, with what became of each record and links to the draft's legal facts and its diff. The work
is `engine.reform.catalogue`'s; refusals come back as the form's errors (never a 5xx)."""

from __future__ import annotations

import os
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from engine.errors import BadRequest
from engine.reform.catalogue import MAX_CATALOGUE_BYTES, RecordsInvalid, import_records
from engine.reform.drafts import require_reformer

from ....operations import load_json
from ....services import request_uow
from ...i18n import select_locale
from ...pages import DESIGNER_ROLES, page, page_actor
from .blueprint import bp
from .create import _upload


def portal_configured() -> bool:
    return bool(os.environ.get("MOTCUA_PORTAL_URL"))


def _page(errors: dict[str, list[str]], results: list[Any] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("designer/catalogue.html", errors=errors, results=results, portal=portal_configured(),
                           lang=select_locale(), limit_mb=MAX_CATALOGUE_BYTES // (1024 * 1024)), status


def _portal_records(codes: list[str]) -> list[Any] | None:
    """The portal's records, read before the import's transactions (no external call inside one)."""
    from ....catalogue_cli import portal_records

    try:
        return portal_records(codes)
    except Exception:  # unreachable, refused, not installed: the page says so
        return None


@bp.get("/catalogue")
@page(*DESIGNER_ROLES)
def catalogue_page() -> tuple[str, int]:
    actor = page_actor()
    assert actor is not None
    require_reformer(actor)
    return _page({})


@bp.post("/catalogue")
@page(*DESIGNER_ROLES)
def catalogue_submit() -> tuple[str, int]:
    actor = page_actor()
    assert actor is not None
    require_reformer(actor)
    errors: dict[str, list[str]] = {}
    message = _("Chọn một tệp JSON danh sách thủ tục theo định dạng CSDL quốc gia (tối đa %(n)s MB).",
                n=MAX_CATALOGUE_BYTES // (1024 * 1024))
    codes = [c.strip() for c in request.form.get("codes", "").replace(",", " ").split() if c.strip()][:500]
    if request.form.get("source") == "portal" and portal_configured():
        records: Any = _portal_records(codes)
        if records is None:
            # the portal's outage, not the officer's error; still a 4xx: no page answers 5xx
            return _page({"source": [_("Không lấy được danh mục từ Cổng Dịch vụ công quốc gia; thử lại sau.")]}, None,
                         409)
    else:
        data = _upload(request.files.get("catalogue"), MAX_CATALOGUE_BYTES, errors, "catalogue", message)
        if data is None:
            errors.setdefault("catalogue", [message])
            return _page(errors, None, 400)
        try:
            records = load_json(data, "catalogue file")
        except BadRequest:
            return _page({"catalogue": [_("Tệp không phải là JSON hợp lệ.")]}, None, 400)
    try:
        outcomes = import_records(request_uow(), actor, records, codes or None)
    except RecordsInvalid as exc:
        return _page({"catalogue": [exc.en if select_locale() == "en" else exc.vi]}, None, 422)
    return _page({}, [o.as_dict() for o in outcomes])
