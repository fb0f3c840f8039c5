"""The signed-in user's in-app notifications: warnings, escalations and apology drafts from the scheduler."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.scheduling.notifications import mark_all_read, mark_read, my_notifications

from ...services import request_uow
from ..pages import back_to, page, page_actor

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
SHOWN = 200


@bp.get("/")
@page()
def inbox() -> str:
    items = my_notifications(request_uow().session, page_actor(), False, SHOWN)  # type: ignore[arg-type]
    return render_template("notifications/list.html", items=items, shown=SHOWN)


@bp.post("/<int:message_id>/read")
@page()
def read(message_id: int) -> Response:
    uow = request_uow()
    mark_read(uow.session, page_actor(), message_id, uow.clock())  # type: ignore[arg-type]
    uow.session.commit()  # a read mark changes no dossier: not audited, as in the API
    return back_to(url_for("notifications.inbox"))


@bp.post("/read-all")
@page()
def read_all() -> Response:
    uow = request_uow()
    count = mark_all_read(uow.session, page_actor(), uow.clock())  # type: ignore[arg-type]
    uow.session.commit()
    flash(_("Đã đánh dấu %(n)s thông báo là đã đọc.", n=count))
    return back_to(url_for("notifications.inbox"))
