"""The officer's inbox (with claim and unclaim) and the leader's hand-over page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine.dossiers.access import may_work_task
from engine.dossiers.models import TaskRecord
from engine.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from engine.people.accounts import list_users
from engine.people.actors import Actor
from engine.people.models import User
from engine.procedures.models import Procedure
from engine.store.uow import UnitOfWork
from engine.work.assignment import claim, handover, team_candidates, unclaim
from engine.work.inbox import DUE_STATES, SORTS, TaskQuery, due_state, list_tasks, waiting_dossiers

from ....integers import parse_int
from ....services import request_uow
from ...i18n import select_locale
from ...pages import OFFICER_ROLES, back_to, page, page_actor
from .blueprint import bp

PAGE_SIZE = 25
MAX_PAGE = 2**31  # the offset (page - 1) * PAGE_SIZE stays within 64 bits


@dataclass
class InboxFilters:
    """The inbox's query string, checked field by field; bad values fall back to defaults and are reported."""

    view: str = "all"
    procedure: str = ""
    due: str = ""
    q: str = ""
    sort: str = "due"
    page: int = 1
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, args: MultiDict[str, str], views: list[str], procedures: dict[str, str]) -> InboxFilters:
        f = cls()
        f.view = args.get("view", "all")
        if f.view not in views:
            f.errors["view"], f.view = [_("Chế độ xem không hợp lệ.")], "all"
        f.procedure = args.get("procedure", "")
        if f.procedure and f.procedure not in procedures:
            f.errors["procedure"] = [_("Không có thủ tục này.")]
        f.due = args.get("due", "")
        if f.due and f.due not in DUE_STATES:
            f.errors["due"], f.due = [_("Trạng thái hạn không hợp lệ.")], ""
        f.q = args.get("q", "").strip()
        if len(f.q) > 100:
            f.errors["q"] = [_("Tối đa 100 ký tự.")]
        f.sort = args.get("sort", "due")
        if f.sort not in SORTS:
            f.errors["sort"], f.sort = [_("Cách sắp xếp không hợp lệ.")], "due"
        page_number = parse_int(args.get("page", "1"), 1, MAX_PAGE)
        if page_number is None:
            f.errors["page"] = [_("Số trang phải là số nguyên dương.")]
        else:
            f.page = page_number
        return f

    def query(self) -> TaskQuery:
        return TaskQuery(view=self.view, procedure=self.procedure if "procedure" not in self.errors else None,
                         due=self.due or None, q=self.q[:100] or None, sort=self.sort, limit=PAGE_SIZE,
                         offset=(self.page - 1) * PAGE_SIZE)

    def link(self, **changes: Any) -> str:
        """This inbox with some filters changed (empty ones left out of the URL)."""
        values = {"view": self.view, "procedure": self.procedure, "due": self.due, "q": self.q, "sort": self.sort,
                  "page": self.page, **changes}
        defaults = {"view": "all", "sort": "due", "page": 1}
        return url_for("officer.inbox", **{k: v for k, v in values.items() if v and v != defaults.get(k)})


def procedure_names(lang: str) -> dict[str, str]:
    rows = request_uow().session.execute(select(Procedure.code, Procedure.name_vi, Procedure.name_en)
                                         .where(Procedure.current_version_id.is_not(None)).order_by(Procedure.code))
    return {code: (name_en if lang == "en" and name_en else name_vi) for code, name_vi, name_en in rows}


def user_names(ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = request_uow().session.execute(select(User.id, User.full_name, User.username).where(User.id.in_(wanted)))
    return {uid: full_name or username for uid, full_name, username in rows}


@bp.get("/inbox")
@page(*OFFICER_ROLES)
def inbox() -> tuple[str, int]:
    return render_inbox(request.args)


def render_inbox(args: MultiDict[str, str], status: int = 200, failed: dict[str, Any] | None = None) -> tuple[str, int]:
    """The inbox for the query `args`; `failed` (a leader's assignment or priority refused: task, errors, what was
    posted) comes back on its row with the posted values kept."""
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    views = ["all", "assigned", "claimable"] + (["team"] if actor.scope.get("leader") else [])
    procedures = procedure_names(select_locale())
    filters = InboxFilters.parse(args, views, procedures)
    result = list_tasks(uow, actor, filters.query())
    now = uow.clock()
    # A leader reassigns and reprioritises from the team view only: the other views stay as light as they were.
    assignees = team_candidates(uow, actor, result.items) if filters.view == "team" else {}
    rows = [{"task": t, "due_state": due_state(t, now) if t.due_at else "none",
             "can_claim": t.assignee_id is None and may_work_task(actor, t),
             "can_unclaim": t.assignee_id is not None and (t.assignee_id == actor.user_id
                                                           or actor.has_role("leader", t.unit_code)),
             "assignees": assignees.get(t.id)}
            for t in result.items]
    waiting, waiting_total = waiting_dossiers(uow, actor) if actor.scope.get("reception") else ([], 0)
    pages = max(1, -(-result.total // PAGE_SIZE))
    html = render_template("officer/inbox.html", filters=filters, views=views, procedures=procedures, rows=rows,
                           total=result.total, pages=pages, names=user_names({t.assignee_id for t in result.items}),
                           waiting=waiting, waiting_total=waiting_total, done=args.get("done", "")[:40],
                           is_leader=bool(actor.scope.get("leader")), failed=failed or {})
    return html, 400 if filters.errors and status == 200 else status


def _task_action(task_id: str, act: Callable[[UnitOfWork, Actor, str], TaskRecord], success: str) -> Response:
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    try:
        task = act(uow, actor, task_id)
    except Conflict:  # Forbidden and NotFound become the 403/404 pages: a refusal is not a redirect
        flash(_("Việc này vừa được người khác nhận hoặc đã xong; danh sách đã được làm mới."), "error")
        return back_to(url_for("officer.inbox"))
    flash(success % {"step": task.name, "code": task.dossier_code})
    return back_to(url_for("officer.inbox"))


@bp.post("/tasks/<task_id>/claim")
@page(*OFFICER_ROLES)
def claim_task(task_id: str) -> Response:
    return _task_action(task_id, claim, _("Đã nhận việc “%(step)s” của hồ sơ %(code)s."))


@bp.post("/tasks/<task_id>/unclaim")
@page(*OFFICER_ROLES)
def unclaim_task(task_id: str) -> Response:
    return _task_action(task_id, unclaim, _("Đã trả lại việc “%(step)s” của hồ sơ %(code)s."))


def _int_field(name: str, errors: dict[str, list[str]]) -> int | None:
    value = parse_int(request.form.get(name, ""))
    if value is None:
        errors[name] = [_("Hãy chọn một cán bộ.")]
    return value


@bp.route("/handover", methods=["GET", "POST"])
@page("leader", "admin")
def handover_page() -> tuple[str, int]:
    """Preview (a dry run), then confirm: every open task and pending dossier of one officer to another."""
    actor, uow = page_actor(), request_uow()
    assert actor is not None
    officers = [(u, m) for u, m in list_users(uow, actor) if u.active or request.method == "POST"]
    errors: dict[str, list[str]] = {}
    report, confirmed, status = None, False, 200
    if request.method == "POST":
        from_user, to_user = _int_field("from_user", errors), _int_field("to_user", errors)
        deactivate = request.form.get("deactivate") == "1"
        confirmed = request.form.get("confirm") == "1"
        if from_user is not None and from_user == to_user:
            errors["to_user"] = [_("Người nhận phải khác người bàn giao.")]
        if from_user is not None and to_user is not None and not errors:
            try:
                report = handover(uow, actor, from_user, to_user, deactivate, dry_run=not confirmed)
            except ValidationFailed as exc:
                errors.update(exc.errors)
            except (NotFound, Unauthorized):  # unknown, or the receiver's account is disabled
                errors["to_user"] = [_("Không có cán bộ đang hoạt động này.")]
        if errors:
            status, confirmed = 422, False
    names = {u.id: u.full_name or u.username for u, _m in officers}
    html = render_template("officer/handover.html", officers=officers, errors=errors, report=report,
                           confirmed=confirmed, form=request.form, names=names,
                           procedures=procedure_names(select_locale()) if report else {})
    return html, status

