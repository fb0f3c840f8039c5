"""The procedure designer: procedures and their versions, the BPMN modeler and the form editor.

Diff, what-if, publish and migrate are in `review.py`, on the same blueprint. The modeler and the
form editor save through `/api/v1` from the page (drafts, validation), so they run the same checks as the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.errors import InvalidPackage, NotFound
from engine.people.accounts import list_roles
from engine.people.models import User
from engine.procedures.escalation_rules import rules_for
from engine.procedures.models import Procedure, ProcedureVersion
from engine.reform.approval import request_rows
from engine.reform.diff import version
from engine.reform.drafts import version_package, version_row, versions
from engine.reform.element_templates import element_templates

from ....services import request_uow, services
from ...i18n import SOURCES, select_locale
from ...pages import DESIGNER_ROLES, page
from .blueprint import bp


@dataclass
class VersionRow:
    number: int
    status: str  # draft | published | current
    created_at: Any
    published_at: Any
    published_by: str | None
    note: str


@dataclass
class ProcedureRow:
    code: str
    name: str
    current: int | None
    versions: list[VersionRow]


def procedure_rows() -> list[ProcedureRow]:
    uow = request_uow()
    lang = select_locale()
    procedures = list(uow.session.scalars(select(Procedure).order_by(Procedure.code)))
    rows: list[ProcedureRow] = []
    all_versions = {p.code: versions(uow, p.code) for p in procedures}
    user_ids = {v.published_by for vs in all_versions.values() for v in vs if v.published_by}
    names = dict(uow.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).tuples().all()) \
        if user_ids else {}
    for procedure in procedures:
        current = None
        listed: list[VersionRow] = []
        for v in reversed(all_versions[procedure.code]):  # newest first: the designer works on the latest
            status = "current" if v.id == procedure.current_version_id else v.status
            if status == "current":
                current = v.number
            listed.append(VersionRow(v.number, status, v.created_at, v.published_at,
                                     names.get(v.published_by) if v.published_by else None, v.note or ""))
        rows.append(ProcedureRow(procedure.code, procedure.name_en if lang == "en" else procedure.name_vi,
                                 current, listed))
    return rows


def current_number(code: str) -> int | None:
    session = request_uow().session
    procedure = session.get(Procedure, code)
    if procedure is None:
        raise NotFound(f"procedure '{code}' does not exist")
    if procedure.current_version_id is None:
        return None
    row = session.get(ProcedureVersion, procedure.current_version_id)
    return row.number if row else None


@bp.get("/")
@page(*DESIGNER_ROLES)
def procedures() -> str:
    waiting = request_rows(request_uow(), pending_only=True)
    return render_template("designer/procedures.html", procedures=procedure_rows(), waiting=waiting,
                           waiting_versions={(w.procedure, w.version) for w in waiting})


def _roles() -> list[dict[str, str]]:
    lang = select_locale()
    return [{"code": r.code, "name": r.name_en if lang == "en" else r.name_vi} for r in list_roles(request_uow())]


@cache
def _bpmn_js_vi() -> dict[str, str]:
    path: Path = SOURCES / "bpmn-js.vi.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def modeler_translations(lang: str) -> dict[str, str]:
    """bpmn-js's own labels (palette, context pad, menus, properties panel) in the page's language: its
    `translate` service looks them up here by their English text; English needs no dictionary."""
    return {} if lang == "en" else _bpmn_js_vi()


def modeler_text() -> dict[str, str]:
    """What the modeler's scripts show, translated here (the JS has no catalogue)."""
    return {
        "group": _("Motcua"), "role": _("Vai trò (tên làn)"),
        "roleHelp": _("Cán bộ có vai trò này ở đơn vị phụ trách sẽ nhận các bước trong làn."),
        "unknownRole": _("vai trò không tồn tại"), "timeBudget": _("Thời hạn bước, dạng ISO 8601"),
        "timeBudgetHelp": _("ISO-8601: P4D = 4 ngày, PT4H = 4 giờ, P1DT4H = 1 ngày 4 giờ làm việc."),
        "invalid.timeBudget": _("Không hợp lệ: dùng dạng P4D, PT4H hoặc P1DT4H."),
        "form": _("Biểu mẫu"), "returnToOwner": _("Trả lại người đã xử lý trước đó"),
        "instructions": _("Hướng dẫn cho cán bộ"),
        "warnBeforeHours": _("Cảnh báo trước hạn (giờ làm việc)"),
        "invalid.warnBeforeHours": _("Nhập số giờ ≥ 0, ví dụ 4 hoặc 1,5."),
        "warnRemaining": _("Cảnh báo khi còn lại (tỉ lệ thời hạn)"),
        "warnRemainingHelp": _("Từ 0 đến 1, ví dụ 0,25 = khi còn 25% thời hạn. Để trống: theo procedure.toml."),
        "invalid.warnRemaining": _("Nhập một tỉ lệ từ 0 đến 1."),
        "reescalateAfterHours": _("Báo cấp trên sau hạn (giờ làm việc)"),
        "invalid.reescalateAfterHours": _("Nhập số giờ ≥ 0, ví dụ 8."),
        "escalateAtDue": _("Báo lãnh đạo khi đến hạn"),
        "escalateAtDue.default": _("Theo procedure.toml"), "escalateAtDue.true": _("Có"),
        "escalateAtDue.false": _("Không"),
        "valid": _("Hợp lệ: không có lỗi."), "invalid": _("Có %(n)s lỗi chặn việc công bố."),
        "warnings": _("%(n)s cảnh báo."), "checking": _("Đang kiểm tra…"), "saving": _("Đang lưu…"),
        "saved": _("Đã lưu bản nháp %(n)s."), "sameContent": _("Nội dung này đã có ở phiên bản %(n)s."),
        "published": _("Đã công bố phiên bản %(n)s; hồ sơ mới sẽ dùng phiên bản này."),
        "noteRequired": _("Nhập ghi chú công bố (lý do thay đổi)."),
        "publishRefused": _("Không thể công bố: phiên bản còn lỗi."),
        "unsaved": _("Có thay đổi chưa lưu."), "noChanges": _("Không có thay đổi."),
        "error": _("Lỗi"), "warning": _("Cảnh báo"), "general": _("Toàn quy trình"),
        "loadFailed": _("Không mở được sơ đồ."), "failed": _("Thao tác không thành công."),
        "version": _("phiên bản %(n)s"), "statusDraft": _("Bản nháp"), "statusPublished": _("Đã công bố"),
        "statusCurrent": _("Đang áp dụng"),
        "budgetDays": _("Thời hạn: số ngày làm việc"), "budgetHours": _("và số giờ làm việc"),
        "budgetDaysHelp": _("1 ngày làm việc = %(n)s giờ. Ô dưới ghi cùng thời hạn dạng ISO 8601."),
        "invalid.budgetDays": _("Nhập số ngày ≥ 0, ví dụ 2 hoặc 1,5."),
        "invalid.budgetHours": _("Nhập số giờ ≥ 0, ví dụ 4 hoặc 0,5."),
        "templates": _("Mẫu bước thường dùng"), "template": _("Mẫu: %(name)s"),
        "templateHint": _("Mẫu: %(name)s (làn %(role)s, %(budget)s)"),
        "leaveUnsaved": _("Có thay đổi chưa lưu. Rời trang và bỏ các thay đổi này?"),
        # 409 `draft-changed`: someone else saved the draft since this page opened it (the save sends base_hash)
        "draftChanged": _("Bản nháp %(n)s đã khác với phiên bản bạn mở (có người vừa lưu, hoặc bạn mở một phiên "
                          "bản khác khi đang có bản nháp). Hãy mở bản nháp %(n)s rồi sửa tiếp; thay đổi của bạn "
                          "chưa được lưu."),
        # 409 `approval-required`: publishing needs a second person; the publish page asks for it
        "approvalRequired": _("Việc công bố cần người thứ hai phê duyệt: gửi đề nghị công bố ở trang Công bố."),
    }


def toml_escalation(meta: dict[str, Any], steps: Iterable[str]) -> dict[str, dict[str, str]]:
    """What procedure.toml says for each step, shown as the placeholder of the panel's empty escalation fields:
    an empty field means 'as the procedure says', and the designer should see what that is."""
    shown: dict[str, dict[str, str]] = {}
    for step in steps:
        rules = rules_for(meta, step)
        shown[step] = {"warnRemaining": f"{rules.warn_remaining:g}".replace(".", ","),
                       "reescalateAfterHours": f"{rules.reescalate_after_hours:g}".replace(".", ","),
                       **({"warnBeforeHours": f"{rules.warn_before_hours:g}".replace(".", ",")}
                          if rules.warn_before_hours is not None else {})}
    return shown


def _package(code: str, number: int) -> dict[str, Any]:
    return version_package(request_uow(), code, number)


@bp.get("/<code>/versions/<int:number>")
@page(*DESIGNER_ROLES)
def modeler(code: str, number: int) -> str:
    package = _package(code, number)
    current = current_number(code)
    uow = request_uow()
    try:
        compiled = version(uow.session, uow.cache, code, number)
        meta, steps = compiled.meta, compiled.steps
    except InvalidPackage:  # a draft that does not run yet: drawn from its files, its findings say why
        meta, steps = version_row(uow, code, number).meta, {}
    bpmn_file = meta["bpmn"]
    config = {"code": code, "number": number, "status": package["status"], "current": current, "bpmn": bpmn_file,
              # the save sends it back as `base_hash`, then keeps the saved version's content_hash
              "content_hash": package["content_hash"], "publish_approval": services().settings.publish_approval,
              "escalation": toml_escalation(meta, steps),
              "package": package, "roles": _roles(), "forms": sorted(package["forms"]),
              "lang": select_locale(), "text": modeler_text(), "base": url_for("designer.procedures"),
              "translations": modeler_translations(select_locale()), "templates": element_templates(select_locale()),
              "dayHours": uow.calendar.hours.day_length.total_seconds() / 3600}
    return render_template("designer/modeler.html", package=package, current=current, config=config,
                           status="current" if current == number else package["status"])


@bp.get("/<code>/versions/<int:number>/forms/<name>")
@page(*DESIGNER_ROLES)
def form_editor(code: str, number: int, name: str) -> str:
    package = _package(code, number)
    if name not in package["forms"]:
        raise NotFound(f"version {number} of {code} has no form '{name}'")
    config = {"code": code, "number": number, "name": name, "package": package,
              "base": url_for("designer.procedures"),
              "text": {"saving": _("Đang lưu…"), "saved": _("Đã lưu bản nháp %(n)s."),
                       "sameContent": _("Nội dung này đã có ở phiên bản %(n)s."),
                       "failed": _("Thao tác không thành công."), "open": _("Mở bản nháp"),
                       "noChanges": _("Không có thay đổi."), "draftChanged": modeler_text()["draftChanged"],
                       "leaveUnsaved": _("Có thay đổi chưa lưu. Rời trang và bỏ các thay đổi này?")}}
    return render_template("designer/form_editor.html", package=package, name=name, config=config)

