"""The national portal's sync on the officers' pages: the leaders' list of their units' dossiers that failed or
wait, with checkboxes to re-send many, and the re-send button of the dossier page. The same engine functions as
`/api/v1/portal-sync` (engine/sync/state.py)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import ValidationFailed
from engine.sync.state import leader_units, listing, recent_rate, resend

from ....services import request_uow, services
from ...pages import OFFICER_ROLES, back_to, page, page_actor
from .blueprint import bp

TABS = ("failed", "pending", "synced")
RATE_DAYS = 30


@bp.get("/portal-sync")
@page("leader")
def portal_sync() -> str:
    uow, actor = request_uow(), page_actor()
    assert actor is not None
    state = request.args.get("state", "failed")
    state = state if state in TABS else "failed"
    rate = recent_rate(uow, RATE_DAYS, services().settings.portal_sync_target_minutes, leader_units(actor))
    return render_template("officer/portal_sync.html", rows=listing(uow, actor, (state,)), state=state, tabs=TABS,
                           rate=rate, days=RATE_DAYS, percent=percent(rate.rate))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{format_decimal(value * 100, format='#,##0.0')} %"


@bp.post("/portal-sync/resend")
@page("leader")
def portal_resend() -> Response:
    return _resend(request.form.getlist("codes"), url_for("officer.portal_sync"))


@bp.post("/dossiers/<code>/portal-sync")
@page(*OFFICER_ROLES)
def dossier_portal_resend(code: str) -> Response:
    return _resend([code], url_for("officer.dossier", code=code))


def _resend(codes: list[str], default: str) -> Response:
    try:
        sent = resend(request_uow(), page_actor(), codes[:200])
    except ValidationFailed:
        flash(_("Hãy chọn ít nhất một hồ sơ để gửi lại."), "error")
    else:
        flash(_("Đã xếp %(n)s hồ sơ vào hàng đợi gửi lại lên Cổng Dịch vụ công quốc gia.", n=len(sent)))
    return back_to(default)
