"""A new procedure from the browser: from the one-stop template (step shares editable) or from a BPMN file made
in another modeler; a version exported as its folder (.zip) and a .zip imported back as a draft. The work is
`engine.reform.creation`'s; these views turn its refusals into the form's errors (never a 5xx)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from engine.errors import Conflict, InvalidPackage, ValidationFailed
from engine.procedures.archive import MAX_ARCHIVE_BYTES, export_archive
from engine.procedures.metadata import LEVELS, TIME_UNITS
from engine.reform.creation import (
    MAX_BPMN_BYTES,
    DraftOpen,
    create_procedure,
    import_archive,
    load_template,
    undo,
)
from engine.reform.drafts import package_of, version_row

from ....services import request_uow
from ...i18n import select_locale
from ...pages import DESIGNER_ROLES, page, page_actor
from .blueprint import bp


def number_of(raw: str) -> float | None:
    """A number as people type it here: `1,5` or `1.5`; None when it is none."""
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        return None


def field_messages() -> dict[str, str]:
    return {
        "code": _("Mã thủ tục: 2–63 ký tự thường không dấu, chữ số hoặc dấu gạch ngang (ví dụ cap-phep-x); "
                  "chưa dùng cho thủ tục khác."),
        "name_vi": _("Nhập tên thủ tục (tối đa 500 ký tự)."), "name_en": _("Nhập tên tiếng Anh (tối đa 500 ký tự)."),
        "level": _("Chọn cấp thực hiện."), "authority_vi": _("Nhập cơ quan thực hiện (tối đa 500 ký tự)."),
        "authority_en": _("Nhập tên tiếng Anh của cơ quan (tối đa 500 ký tự)."),
        "legal_time": _("Thời hạn là số lớn hơn 0 (tối đa 10000)."), "legal_unit": _("Chọn đơn vị thời hạn."),
        "legal_source": _("Tối đa 2000 ký tự."),
        "shares": _("Mỗi tỉ lệ (phần trăm) từ 0 đến 100; tổng không quá 100."),
        "bpmn": _("Tệp sơ đồ không đọc được: cần một tệp BPMN 2.0 (XML, không có DOCTYPE), tối đa 2 MB."),
        "template": _("Mẫu quy trình không tồn tại."), "note": _("Tối đa 2000 ký tự."),
    }


def _form(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> tuple[str, int]:
    template = load_template()
    return render_template("designer/new.html", values=values, errors=errors, template=template, levels=LEVELS,
                           units=TIME_UNITS, lang=select_locale()), status


@bp.get("/new")
@page(*DESIGNER_ROLES)
def new_procedure() -> tuple[str, int]:
    steps = {f"share_{s.key}": f"{s.share * 100:g}" for s in load_template().steps}
    return _form({"level": "commune", "legal_unit": "working_days", **steps}, {})


@bp.post("/new")
@page(*DESIGNER_ROLES)
def create_submit() -> Response | tuple[str, int]:
    form = request.form
    values = {key: form.get(key, "").strip() for key in form if key != "csrf_token"}
    messages = field_messages()
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {k: values.get(k, "") for k in ("code", "name_vi", "name_en", "level", "authority_vi",
                                                            "authority_en", "legal_unit", "legal_source", "note")}
    legal = number_of(values.get("legal_time", ""))
    if legal is None:
        errors["legal_time"] = [messages["legal_time"]]
    body["legal_time"] = legal
    shares: dict[str, float] = {}
    for step in load_template().steps:
        share = number_of(values.get(f"share_{step.key}", ""))
        if share is None:
            errors["shares"] = [messages["shares"]]
        else:
            shares[step.key] = share / 100
    body["shares"] = shares
    bpmn = _upload(request.files.get("bpmn"), MAX_BPMN_BYTES, errors, "bpmn", messages["bpmn"])
    if errors:
        return _form(values, errors, 400)
    actor = page_actor()
    assert actor is not None
    uow = request_uow()
    try:
        version, findings = create_procedure(uow, actor, body, bpmn)
    except ValidationFailed as exc:
        undo(uow)
        return _form(values, {key: [messages.get(key, _("Giá trị không hợp lệ."))] for key in exc.errors}, 400)
    except Conflict:
        undo(uow)
        return _form(values, {"code": [_("Mã thủ tục này đã có; chọn mã khác.")]}, 409)
    except InvalidPackage:
        undo(uow)
        return _form(values, {"bpmn": [messages["bpmn"]]}, 422)
    errors_count = sum(f.severity == "error" for f in findings)
    flash(_("Đã tạo thủ tục %(code)s, bản nháp %(n)s.", code=version.procedure_code, n=version.number)
          + (" " + _("Sơ đồ còn %(n)s lỗi cần sửa trước khi công bố.", n=errors_count) if errors_count else ""))
    return redirect(url_for("designer.legal_facts_page", code=version.procedure_code, number=version.number))


def _upload(file: FileStorage | None, limit: int, errors: dict[str, list[str]], name: str,
            message: str) -> bytes | None:
    if file is None or not file.filename:
        return None
    data = file.stream.read(limit + 1)
    if len(data) > limit or not data:
        errors[name] = [message]
        return None
    return data


@bp.get("/<code>/versions/<int:number>/export")
@page(*DESIGNER_ROLES)
def export_version(code: str, number: int) -> Response:
    data = export_archive(package_of(version_row(request_uow(), code, number)))
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{code}-v{number}.zip"'})


def archive_messages() -> dict[str, str]:
    return {
        "archive-too-large": _("Tệp .zip lớn hơn 10 MB."), "archive-invalid": _("Đây không phải tệp .zip."),
        "archive-too-many-files": _("Tệp .zip có quá nhiều tệp."),
        "archive-path": _("Tệp .zip có đường dẫn ra ngoài thư mục thủ tục."),
        "archive-link": _("Tệp .zip chứa liên kết (symlink)."),
        "archive-unexpected-file": _("Tệp .zip chỉ được chứa procedure.toml, tệp .bpmn, .dmn và forms/<tên>.form."),
        "file-too-large": _("Một tệp trong .zip lớn hơn 2 MB."),
        "metadata-missing": _("Tệp .zip không có procedure.toml."),
    }


def _import_form(errors: dict[str, list[str]], status: int = 200) -> tuple[str, int]:
    return render_template("designer/import.html", errors=errors), status


@bp.get("/import")
@page(*DESIGNER_ROLES)
def import_page() -> tuple[str, int]:
    return _import_form({})


@bp.post("/import")
@page(*DESIGNER_ROLES)
def import_submit() -> Response | tuple[str, int]:
    errors: dict[str, list[str]] = {}
    data = _upload(request.files.get("archive"), MAX_ARCHIVE_BYTES, errors, "archive",
                   _("Chọn một tệp .zip (tối đa 10 MB)."))
    if data is None:
        errors.setdefault("archive", [_("Chọn một tệp .zip (tối đa 10 MB).")])
        return _import_form(errors, 400)
    actor = page_actor()
    assert actor is not None
    uow = request_uow()
    try:
        version, _findings, new = import_archive(uow, actor, data, replace_draft=bool(request.form.get("replace")))
    except DraftOpen as exc:
        undo(uow)
        return _import_form({"archive": [_("Thủ tục này đang có bản nháp %(n)s chưa công bố. Đánh dấu “Thay bản nháp "
                                           "đang mở” nếu muốn thay nó bằng nội dung tệp.", n=exc.extra["version"])]},
                            409)
    except InvalidPackage as exc:
        undo(uow)
        known = archive_messages()
        lines = [known.get(p.code, _("Gói thủ tục không hợp lệ (%(code)s: %(where)s).", code=p.code,
                                     where=p.file or p.field or "procedure.toml")) for p in exc.problems]
        return _import_form({"archive": lines}, 422)
    flash(_("Đã nhập thủ tục mới %(code)s, bản nháp %(n)s.", code=version.procedure_code, n=version.number) if new
          else _("Đã nhập vào thủ tục %(code)s: phiên bản %(n)s.", code=version.procedure_code, n=version.number))
    return redirect(url_for("designer.modeler", code=version.procedure_code, number=version.number))
