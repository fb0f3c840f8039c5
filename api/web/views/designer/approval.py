"""Publishing with a second person's approval (MOTCUA_PUBLISH_APPROVAL=1), in pages: the publish page asks
(`request_submit`), the waiting requests are listed (`publish_requests`), and another person approves or sends
back on the review page. Leaders of a top-level unit reach these pages too (the blueprint lets reviewers in
to `REVIEW_ENDPOINTS`); the engine checks again who may do what."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Conflict, Forbidden, InvalidPackage, ValidationFailed
from engine.reform.approval import NOTE_MAX, approve, may_review, reject, request_publication, request_rows
from engine.reform.drafts import is_reformer, version_row

from ....services import request_uow
from ...pages import DESIGNER_ROLES, page, page_actor
from .blueprint import bp
from .review import publish_form

REVIEWER_ROLES = (*DESIGNER_ROLES, "leader")


def _text(name: str, errors: dict[str, list[str]], required: str) -> str:
    value = request.form.get(name, "").strip()
    if not value:
        errors[name] = [required]
    elif len(value) > NOTE_MAX:
        errors[name] = [_("Tối đa %(n)s ký tự.", n=NOTE_MAX)]
    return value


@bp.post("/<code>/versions/<int:number>/publish-request")
@page(*DESIGNER_ROLES)
def request_submit(code: str, number: int) -> Response | tuple[str, int]:
    """The publish page's form when approval is needed: ask for it, with the note."""
    errors: dict[str, list[str]] = {}
    note = _text("note", errors, _("Nhập ghi chú công bố (lý do thay đổi)."))
    if errors:
        return publish_form(code, number, note, errors, 400)
    actor = page_actor()
    assert actor is not None
    try:
        request_publication(request_uow(), actor, code, number, note)
    except InvalidPackage:
        request_uow().session.rollback()
        return publish_form(code, number, note, {"problems": [_("Không thể công bố: phiên bản còn lỗi.")]}, 422)
    except Conflict:
        request_uow().session.rollback()
        return publish_form(code, number, note, {"problems": [
            _("Phiên bản này không còn là bản nháp, hoặc đã có đề nghị công bố đang chờ.")]}, 409)
    flash(_("Đã gửi đề nghị công bố phiên bản %(n)s; người phê duyệt đã được thông báo.", n=number))
    return redirect(url_for("designer.publish_page", code=code, number=number))


@bp.get("/publish-requests")
@page(*REVIEWER_ROLES)
def publish_requests() -> str:
    return render_template("designer/publish_requests.html", requests=request_rows(request_uow(), pending_only=True))


def _review(code: str, number: int, errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
            status: int = 200) -> tuple[str, int]:
    uow = request_uow()
    actor = page_actor()
    assert actor is not None
    row = version_row(uow, code, number)
    history = request_rows(uow, code, number)
    waiting = next((r for r in history if r.status == "pending"), None)
    return render_template("designer/review.html", code=code, number=number, version_status=row.status,
                           history=history, waiting=waiting, errors=errors or {}, values=values or {},
                           own=waiting is not None and waiting.requested_by == actor.user_id,
                           designer=is_reformer(actor), reviewer=may_review(actor)), status


@bp.get("/<code>/versions/<int:number>/review")
@page(*REVIEWER_ROLES)
def review_page(code: str, number: int) -> tuple[str, int]:
    return _review(code, number)


@bp.post("/<code>/versions/<int:number>/review")
@page(*REVIEWER_ROLES)
def review_submit(code: str, number: int) -> Response | tuple[str, int]:
    """Approve (the draft is published) or send back with a reason."""
    decision = request.form.get("decision", "")
    errors: dict[str, list[str]] = {}
    values = {"note": request.form.get("note", "").strip(), "reason": request.form.get("reason", "").strip()}
    if decision == "reject":
        _text("reason", errors, _("Nhập lý do trả lại (cần sửa gì)."))
    elif decision != "approve":
        errors["decision"] = [_("Chọn phê duyệt hoặc trả lại.")]
    elif len(values["note"]) > NOTE_MAX:
        errors["note"] = [_("Tối đa %(n)s ký tự.", n=NOTE_MAX)]
    if errors:
        return _review(code, number, errors, values, 400)
    actor = page_actor()
    assert actor is not None
    uow = request_uow()
    try:
        if decision == "approve":
            approve(uow, actor, code, number, values["note"])
        else:
            reject(uow, actor, code, number, values["reason"])
    except Forbidden:
        uow.session.rollback()
        return _review(code, number, {"decision": [_("Người đề nghị không thể tự phê duyệt hay trả lại đề nghị "
                                                     "của mình; cần một người khác.")]}, values, 403)
    except (Conflict, InvalidPackage):
        uow.session.rollback()
        return _review(code, number, {"decision": [_("Không còn đề nghị nào đang chờ cho phiên bản này, hoặc bản "
                                                     "nháp đã thay đổi sau khi đề nghị.")]}, values, 409)
    except ValidationFailed:
        return _review(code, number, {"reason": [_("Nhập lý do trả lại (cần sửa gì).")]}, values, 400)
    if decision == "approve":
        flash(_("Đã phê duyệt và công bố phiên bản %(n)s; hồ sơ mới sẽ dùng phiên bản này.", n=number))
    else:
        flash(_("Đã trả lại đề nghị công bố phiên bản %(n)s.", n=number))
    return redirect(url_for("designer.publish_requests"))
