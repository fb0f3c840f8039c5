"""The task page: the step's form (form-js viewer, completed through /api/v1), the dossier panel, and claim,
unclaim and delegate."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.dossiers.access import may_work_task
from engine.dossiers.priorities import PRIORITIES, name_of
from engine.dossiers.record import officer_names
from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.work.assignment import candidates, delegate
from engine.work.inbox import due_state, get_task

from ....integers import parse_int
from ....services import request_uow
from ...pages import OFFICER_ROLES, back_to, page, page_actor
from .blueprint import bp
from .panel import dossier_panel


@bp.get("/tasks/<task_id>")
@page(*OFFICER_ROLES)
def task(task_id: str) -> tuple[str, int]:
    return render_task(task_id)


def render_task(task_id: str, status: int = 200, failed: dict[str, Any] | None = None) -> tuple[str, int]:
    """The task page; `failed` (a leader's assignment or priority refused) comes back beside its control."""
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    detail = get_task(uow, actor, task_id)
    t = detail.task
    panel = dossier_panel(uow, actor, t.dossier_code)
    mine = t.assignee_id == actor.user_id
    leading = t.state in ("open", "suspended") and actor.has_role("leader", t.unit_code)
    pool = candidates(uow, actor, task_id) if leading or (mine and t.state == "open") else []
    colleagues = [c for c in pool if c.user_id != actor.user_id] if mine and t.state == "open" else []
    # The form starts from the declaration (fields that share its keys) and the step's draft, if any: the
    # holder's saved draft or a delegate's work come back.
    data = {**panel["dossier"].data, **(t.draft or {})}
    html = render_template("officer/task.html", task=t, form_schema=detail.form, form_data=data,
                           instructions=detail.instructions, mine=mine, colleagues=colleagues,
                           can_claim=t.assignee_id is None and t.state == "open" and may_work_task(actor, t),
                           can_unclaim=t.assignee_id is not None and t.state in ("open", "suspended") and (
                               mine or actor.has_role("leader", t.unit_code)),
                           due=due_state(t, uow.clock()) if t.due_at else "none",
                           assignee=panel["names"].get(t.assignee_id or 0), failed=None, errors={}, posted={},
                           leading=leading, assignees=pool if leading else [],
                           priorities=list(PRIORITIES), priority_name=name_of(t.priority),
                           draft_by=officer_names(uow, {t.draft_by}).get(t.draft_by or 0),
                           lead_failed=failed or {}, **panel)
    return html, status


@bp.post("/tasks/<task_id>/delegate")
@page(*OFFICER_ROLES)
def delegate_task(task_id: str) -> Response:
    actor, uow = page_actor(), request_uow()
    raw = request.form.get("user_id", "")
    here = url_for("officer.task", task_id=task_id)
    user_id = parse_int(raw)
    if user_id is None:
        flash(_("Hãy chọn một đồng nghiệp để ủy quyền."), "error")
        return back_to(here)
    try:
        done = delegate(uow, actor, task_id, user_id)
    except ValidationFailed:
        flash(_("Đồng nghiệp này không xử lý được bước này (cần đúng vai trò và đơn vị)."), "error")
        return back_to(here)
    except (Conflict, Forbidden):
        flash(_("Chỉ người đang giữ việc mới ủy quyền được; hãy nhận việc trước."), "error")
        return back_to(here)
    flash(_("Đã ủy quyền bước “%(step)s” của hồ sơ %(code)s.", step=done.name, code=done.dossier_code))
    return back_to(url_for("officer.inbox"))
