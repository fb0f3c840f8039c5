"""The dossier page: the dossier panel and a form for each lifecycle action its status and the officer's roles
allow; an invalid action comes back with the errors beside the fields and what was typed kept."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.archive.reading import package_of
from engine.dossiers.lifecycle import FeeUnpaid, perform
from engine.errors import ValidationFailed
from engine.payments.service import transactions_of
from engine.results.service import result_card
from engine.scheduling.incidents import VIEWER_ROLES, list_incidents
from engine.sync.state import may_resend, states_of

from ....schemas import ActionIn
from ....services import request_uow
from ...pages import OFFICER_ROLES, back_to, page, page_actor
from .blueprint import bp
from .panel import dossier_panel, read_action_form

ACTION_SCHEMA = ActionIn()


def _render(code: str, status: int = 200, failed: str | None = None, errors: dict[str, Any] | None = None
            ) -> tuple[str, int]:
    uow = request_uow()
    uow.session.rollback()  # a failed action left nothing behind; read the dossier as stored
    actor = page_actor()
    panel = dossier_panel(uow, actor, code)
    incidents = list_incidents(uow, actor, "open", dossier=code) if actor.roles & VIEWER_ROLES else []
    if errors and "documents" in errors:  # the engine names missing documents by code; people read names
        names = {d["code"]: d["name"] for d in panel["required_documents"]}
        errors = {**errors, "documents": [
            "Missing: " + "; ".join(names.get(c.strip(" ."), c) for c in m[9:].split(","))
            if isinstance(m, str) and m.startswith("Missing: ") else m for m in errors["documents"]]}
    [sync] = states_of(uow, [panel["dossier"]])  # the national portal's copy of it
    return render_template("officer/dossier.html", failed=failed, errors=errors or {}, incidents=incidents,
                           posted=request.form if failed else {}, portal_sync=sync,
                           portal_may_resend=may_resend(actor, panel["dossier"]),
                           payments=transactions_of(uow, panel["dossier"]), archive=package_of(uow, actor, code),
                           result=result_card(uow, actor, panel["dossier"]), **panel), status


@bp.get("/dossiers/<code>")
@page(*OFFICER_ROLES)
def dossier(code: str) -> tuple[str, int]:
    return _render(code)


@bp.post("/dossiers/<code>/actions/<action>")
@page(*OFFICER_ROLES)
def dossier_action(code: str, action: str) -> Response | tuple[str, int]:
    params, errors = read_action_form(action, request.form)
    errors.update(ACTION_SCHEMA.validate({k: v for k, v in params.items() if k not in errors}))
    if not errors:
        try:
            perform(request_uow(), page_actor(), code, action, params)
        except ValidationFailed as exc:
            errors = exc.errors
        except FeeUnpaid as exc:  # said on the page, beside the forms to record the payment or the exemption
            amount = format_decimal(exc.extra.get("fee_amount") or 0)
            return _render(code, 409, action, {"fee": [_(
                "Chưa trả được kết quả: phí, lệ phí %(amount)s đ chưa nộp. Hãy ghi nhận đã nộp phí, hoặc lãnh đạo "
                "ghi nhận miễn phí (kèm lý do).", amount=amount)]})
    if errors:
        return _render(code, 422, action, errors)
    flash(_("Đã thực hiện thao tác trên hồ sơ %(code)s.", code=code))
    return back_to(url_for("officer.dossier", code=code))
