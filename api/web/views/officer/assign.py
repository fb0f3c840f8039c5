"""A leader's controls, from the task page or the inbox's team view: assign a task to an officer and set its
priority, with the engine functions the REST API calls. A refused change comes back on the page it was made
from (4xx, the message beside the control, what was chosen kept); a success redirects back with a message."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import flash, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine.dossiers.models import TaskRecord
from engine.dossiers.priorities import rank_of
from engine.errors import Conflict, ValidationFailed
from engine.work.assignment import assign, set_priority

from ....integers import parse_int
from ....services import request_uow
from ...pages import back_to, page, page_actor
from .blueprint import bp
from .inbox import render_inbox, user_names
from .task import render_task


def _refused(task_id: str, status: int, errors: dict[str, list[str]]) -> tuple[str, int]:
    """Re-render the page the form was posted from: the inbox (with its filters) or the task page."""
    request_uow().session.rollback()  # nothing of the refused change stays; show the task as stored
    task = request_uow().session.get(TaskRecord, task_id)
    failed: dict[str, Any] = {"task": task_id, "errors": errors, "posted": request.form,
                              "code": task.dossier_code if task else ""}
    target = urlsplit(request.form.get("next", ""))
    if target.path == url_for("officer.inbox"):
        return render_inbox(MultiDict(parse_qsl(target.query)), status, failed)
    return render_task(task_id, status, failed)


def _raced() -> list[str]:
    return [_("Việc này vừa được thay đổi (người khác đã nhận, giao hoặc hoàn thành); hãy xem lại rồi thử lại.")]


@bp.post("/tasks/<task_id>/assign")
@page("leader")
def assign_task(task_id: str) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    raw = request.form.get("user_id", "")
    user_id = parse_int(raw)
    if user_id is None:
        return _refused(task_id, 422, {"user_id": [_("Hãy chọn một cán bộ.")]})
    try:  # Forbidden (not a leader of the task's unit) and NotFound become the 403/404 pages
        task: TaskRecord = assign(uow, actor, task_id, user_id)
    except ValidationFailed:
        return _refused(task_id, 422, {"user_id": [
            _("Cán bộ này không xử lý được bước này (cần đúng vai trò tại đơn vị của hồ sơ, tài khoản đang hoạt động).")
        ]})
    except Conflict:
        return _refused(task_id, 409, {"user_id": _raced()})
    name = user_names({task.assignee_id}).get(task.assignee_id or 0, raw)
    flash(_("Đã giao bước “%(step)s” của hồ sơ %(code)s cho %(name)s.", step=task.name, code=task.dossier_code,
            name=name))
    return back_to(url_for("officer.task", task_id=task_id))


@bp.post("/tasks/<task_id>/priority")
@page("leader")
def prioritise_task(task_id: str) -> Response | tuple[str, int]:
    actor, uow = page_actor(), request_uow()
    raw = request.form.get("priority", "").strip()
    if rank_of(raw) is None:
        return _refused(task_id, 422, {"priority": [_("Chọn một mức: Bình thường, Khẩn hoặc Thượng khẩn.")]})
    try:  # Forbidden (not a leader of the task's unit) and NotFound become the 403/404 pages
        task: TaskRecord = set_priority(uow, actor, task_id, raw)
    except Conflict:
        return _refused(task_id, 409, {"priority": _raced()})
    label = {"normal": _("Bình thường"), "urgent": _("Khẩn"), "most_urgent": _("Thượng khẩn")}[raw]
    flash(_("Đã đặt độ ưu tiên “%(level)s” cho bước “%(step)s” của hồ sơ %(code)s.", level=label, step=task.name,
            code=task.dossier_code))
    return back_to(url_for("officer.task", task_id=task_id))
