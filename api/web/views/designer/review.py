"""The designer's review pages: diff between versions, what-if figures, publish (with a note), and moving
running dossiers to a published version (dry run first, then confirm)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidPackage, ValidationFailed
from engine.people.organisation import known_roles
from engine.procedures.packages import ProcedurePackage
from engine.reform.approval import request_rows
from engine.reform.diff import describe, diff, element_marks, version
from engine.reform.drafts import ApprovalRequired, publish, version_package, versions
from engine.reform.migration import migrate
from engine.reform.validation import validate_package
from engine.reform.whatif import what_if

from ....integers import parse_int
from ....services import request_uow, services
from ...i18n import select_locale
from ...pages import DESIGNER_ROLES, page, page_actor
from .blueprint import bp
from .modeler import current_number

NOTE_MAX = 2000


def _number(name: str, default: int | None, errors: dict[str, list[str]]) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return default
    number = parse_int(raw, 1)
    if number is None:
        errors[name] = [_("Số phiên bản phải là số nguyên dương.")]
        return default
    return number


@bp.get("/<code>/diff")
@page(*DESIGNER_ROLES)
def diff_page(code: str) -> tuple[str, int]:
    """Two versions side by side as readable lines; by default the current version against the newest."""
    uow = request_uow()
    current = current_number(code)
    errors: dict[str, list[str]] = {}
    newest = max((v.number for v in _versions(code)), default=None)
    old = _number("from", current, errors)
    new = _number("to", newest, errors)
    change: dict[str, Any] | None = None
    diagrams: dict[str, Any] | None = None
    if old is not None and new is not None and not errors:
        before, after = version(uow.session, uow.cache, code, old), version(uow.session, uow.cache, code, new)
        change = diff(before, after)
        change["lines"] = describe(change)["en" if select_locale() == "en" else "vi"]
        # the two diagrams side by side, their steps coloured by designer-diff.js
        diagrams = {"marks": element_marks(change),
                    "old": version_package(uow, code, old)["files"][before.meta["bpmn"]],
                    "new": version_package(uow, code, new)["files"][after.meta["bpmn"]]}
    return render_template("designer/diff.html", code=code, old=old, new=new, change=change, errors=errors,
                           diagrams=diagrams, numbers=[v.number for v in _versions(code)],
                           current=current), 400 if errors else 200


def _versions(code: str) -> list[Any]:
    return versions(request_uow(), code)


@bp.get("/<code>/versions/<int:number>/what-if")
@page(*DESIGNER_ROLES)
def what_if_page(code: str, number: int) -> tuple[str, int]:
    errors: dict[str, list[str]] = {}
    raw = request.args.get("months", "6")
    months = parse_int(raw, 1, 60) or 0
    if not months:
        errors["months"], months = [_("Từ 1 đến 60 tháng.")], 6
    actor = page_actor()
    assert actor is not None
    figures = what_if(request_uow(), actor, code, number, months)
    steps = [{"id": step_id, "budget": figures["step_budgets"].get(step_id), **counts}
             for step_id, counts in sorted(figures["steps"].items())]
    names = {s.bpmn_id: s.name for s in _compiled(code, number).steps.values()}
    return render_template("designer/what_if.html", code=code, number=number, figures=figures, steps=steps,
                           names=names, months=raw if errors else months, errors=errors), 400 if errors else 200


def _compiled(code: str, number: int) -> Any:
    uow = request_uow()
    return version(uow.session, uow.cache, code, number)


def _problems(code: str, number: int) -> list[dict[str, Any]]:
    uow = request_uow()
    stored = version_package(uow, code, number)
    package = ProcedurePackage(code, {k: v.encode("utf-8") for k, v in stored["files"].items()}, stored["forms"])
    findings = validate_package(package, known_roles(uow.session))
    lang = select_locale()
    return [{"severity": f.severity, "element": f.element, "code": f.code,
             "message": f.message_en if lang == "en" else f.message_vi} for f in findings]


def publish_form(code: str, number: int, note: str = "", errors: dict[str, list[str]] | None = None,
                 status: int = 200) -> tuple[str, int]:
    """The publish page; when publishing needs a second person, its form asks for approval instead, and it
    shows the draft's requests (waiting, or sent back with the reason)."""
    stored = version_package(request_uow(), code, number)
    approval = services().settings.publish_approval
    history = request_rows(request_uow(), code, number)
    return render_template("designer/publish.html", code=code, number=number, status=stored["status"], note=note,
                           errors=errors or {}, problems=_problems(code, number), current=current_number(code),
                           approval=approval, waiting=next((r for r in history if r.status == "pending"), None),
                           last=history[0] if history else None), status


@bp.get("/<code>/versions/<int:number>/publish")
@page(*DESIGNER_ROLES)
def publish_page(code: str, number: int) -> tuple[str, int]:
    return publish_form(code, number)


@bp.post("/<code>/versions/<int:number>/publish")
@page(*DESIGNER_ROLES)
def publish_submit(code: str, number: int) -> Response | tuple[str, int]:
    note = request.form.get("note", "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("Nhập ghi chú công bố (lý do thay đổi).")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("Tối đa %(n)s ký tự.", n=NOTE_MAX)]
    if errors:
        return publish_form(code, number, note, errors, 400)
    actor = page_actor()
    assert actor is not None
    try:
        publish(request_uow(), actor, code, number, note, approval_required=services().settings.publish_approval)
    except ApprovalRequired:
        return publish_form(code, number, note, {"problems": [
            _("Việc công bố cần người thứ hai phê duyệt: gửi đề nghị công bố.")]}, 409)
    except InvalidPackage:
        request_uow().session.rollback()
        return publish_form(code, number, note, {"problems": [_("Không thể công bố: phiên bản còn lỗi.")]}, 422)
    except ValidationFailed as exc:
        return publish_form(code, number, note, exc.extra.get("errors") or {"note": [str(exc)]}, 400)
    flash(_("Đã công bố phiên bản %(n)s; hồ sơ mới sẽ dùng phiên bản này.", n=number))
    return redirect(url_for("designer.procedures"))


@bp.route("/<code>/migrate", methods=["GET", "POST"])
@page(*DESIGNER_ROLES)
def migrate_page(code: str) -> tuple[str, int]:
    """GET: the dry run (which running dossiers can move to version `to`, and why the others cannot);
    POST with confirm: move them, and show what moved."""
    errors: dict[str, list[str]] = {}
    target = _number("to", current_number(code), errors) if request.method == "GET" else None
    if request.method == "POST":
        raw = request.form.get("to", "")
        target = parse_int(raw, 1)
        if target is None:
            errors["to"] = [_("Số phiên bản phải là số nguyên dương.")]
    if target is None or errors:
        errors.setdefault("to", [_("Chọn phiên bản đích.")])
        return render_template("designer/migrate.html", code=code, target=target, report=None, errors=errors,
                               numbers=_published(code)), 400
    actor = page_actor()
    assert actor is not None
    confirm = request.method == "POST" and request.form.get("confirm") == "yes"
    chosen = request.form.getlist("dossier") if request.method == "POST" else None
    if request.method == "POST" and not confirm:
        errors["confirm"] = [_("Hãy xác nhận trước khi chuyển hồ sơ.")]
    if request.method == "POST" and not chosen:  # none ticked must never mean "all of them"
        errors["dossier"], confirm = [_("Chọn ít nhất một hồ sơ.")], False
    report = migrate(request_uow(), actor, code, target, chosen or None, dry_run=not confirm)
    return render_template("designer/migrate.html", code=code, target=target, report=report, errors=errors,
                           numbers=_published(code)), 400 if errors else 200


def _published(code: str) -> list[int]:
    return [v.number for v in _versions(code) if v.status == "published"]
