"""The dossier register (form 07) for officers: every dossier of their units, searched, filtered, sorted, paged,
and downloaded as CSV. The same engine search as `GET /api/v1/dossiers`, with the same checks: the API's query
schema reads the page's query string, and what is wrong comes back beside the field, in the page's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from engine.dossiers.overdue import is_overdue
from engine.dossiers.register import MAX_OFFSET, search
from engine.dossiers.status import CHANNELS, STATUS_CODES
from engine.errors import ValidationFailed
from engine.reporting.register_pdf import render_register_pdf

from ....integers import parse_int
from ....schemas import RegisterExportIn, RegisterQueryIn
from ....services import request_uow, services
from ....views.dossiers import register_download, register_query
from ....views.rendered import pdf_response
from ...i18n import select_locale
from ...pages import OFFICER_ROLES, page, page_actor
from .blueprint import bp
from .inbox import procedure_names

PAGE_SIZE = 50
FIELDS = ("q", "procedure", "unit", "status", "channel", "received_from", "received_to", "due_from", "due_to",
          "finished_from", "finished_to", "overdue", "paused", "sort", "order")
SORTS = ("received", "due", "finished", "code")


def _messages() -> dict[str, str]:
    """What is wrong with a field, worded for people (the schema's and the engine's messages are English)."""
    date = _("Ngày không hợp lệ (năm 1900 đến 9998).")
    return {"q": _("Tối đa 100 ký tự."), "procedure": _("Không có thủ tục này."),
            "status": _("Trạng thái không hợp lệ."), "channel": _("Kênh không hợp lệ."),
            "sort": _("Cách sắp xếp không hợp lệ."), "order": _("Chiều sắp xếp không hợp lệ."),
            "overdue": _("Hãy chọn một phương án."), "paused": _("Hãy chọn một phương án."),
            "page": _("Trang từ 1 đến %(n)s; hãy thu hẹp tìm kiếm để xem tiếp.", n=MAX_OFFSET // PAGE_SIZE + 1),
            **{f"{name}_{end}": date for name in ("received", "due", "finished") for end in ("from", "to")}}


@dataclass
class RegisterForm:
    """The page's query string: the values as typed (to refill the form), the checked query, the errors."""

    values: dict[str, str]
    page: int = 1
    loaded: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, args: MultiDict[str, str], schema: Any = None) -> RegisterForm:
        values = {k: args.get(k, "").strip() for k in FIELDS}
        form = cls(values)
        page_number = parse_int(args.get("page", "1") or "1", 1, MAX_OFFSET // PAGE_SIZE + 1)
        if page_number is None:
            form.errors["page"] = [_messages()["page"]]
        else:
            form.page = page_number
        given = {k: v for k, v in values.items() if v}
        try:
            form.loaded = (schema or RegisterQueryIn()).load(given)
        except ValidationError as err:
            form.flag(err.messages if isinstance(err.messages, dict) else {})
        if form.errors:
            form.loaded = None
        return form

    def flag(self, errors: dict[str, Any]) -> None:
        messages = _messages()
        for name in errors:
            self.errors[name] = [messages.get(name, _("Giá trị không hợp lệ."))]

    def link(self, endpoint: str = "officer.register", **changes: Any) -> str:
        values = {**self.values, "page": self.page, **changes}
        defaults = {"sort": "received", "order": "desc", "page": 1}
        return url_for(endpoint, **{k: v for k, v in values.items() if v and v != defaults.get(k)})

    @property
    def filtered(self) -> bool:
        return any(self.values[k] for k in FIELDS if k not in ("sort", "order"))


@bp.get("/register")
@page(*OFFICER_ROLES)
def register() -> tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    form = RegisterForm.parse(request.args)
    procedures = procedure_names(select_locale())
    units = {code: name for code, name in uow.org.tree(uow.session).names.items() if code in actor.officer_units}
    result = None
    if form.loaded is not None:
        query = register_query({**form.loaded, "limit": PAGE_SIZE, "offset": (form.page - 1) * PAGE_SIZE})
        try:
            result = search(uow, actor, query)  # NotFound (another's unit) becomes the 404 page
        except ValidationFailed as exc:
            form.flag(exc.errors)
    now = uow.clock()
    pages = 1
    if result is not None:
        shown = result.total if result.total_kind == "exact" else MAX_OFFSET + PAGE_SIZE
        pages = min(max(1, -(-shown // PAGE_SIZE)), MAX_OFFSET // PAGE_SIZE + 1)
    html = render_template("officer/register.html", form=form, result=result, pages=pages, now=now,
                           procedures=procedures, units=dict(sorted(units.items())), statuses=list(STATUS_CODES),
                           channels=list(CHANNELS), sorts=SORTS, is_overdue=is_overdue)
    return html, 400 if form.errors else 200


@bp.get("/register/export.csv")
@page(*OFFICER_ROLES)
def register_export() -> Response | tuple[str, int]:
    """Form 07 for the page's search, every row (no paging), streamed; a bad filter gives the page with it."""
    actor = page_actor()
    assert actor is not None
    form = RegisterForm.parse(request.args, RegisterExportIn())
    if form.loaded is not None:
        form.loaded.pop("lang", None)
        try:
            return register_download(actor, register_query(form.loaded), select_locale())
        except ValidationFailed as exc:
            form.flag(exc.errors)
    return register()


@bp.get("/register/export.pdf")
@page(*OFFICER_ROLES)
def register_pdf() -> Response | tuple[str, int]:
    """Form 07 for the page's search as PDF/A (landscape A4), stored and audited; a bad filter, or a search too
    long for one PDF, gives the page with the message."""
    actor = page_actor()
    assert actor is not None
    form = RegisterForm.parse(request.args, RegisterExportIn())
    if form.loaded is not None:
        form.loaded.pop("lang", None)
        try:
            request_uow().session.rollback()  # only read so far: no transaction held while rendering
            runtime = services()
            return pdf_response(render_register_pdf(runtime.uow, runtime.documents, actor,
                                                    register_query(form.loaded)))
        except ValidationFailed as exc:
            form.flag(exc.errors)
    return register()
