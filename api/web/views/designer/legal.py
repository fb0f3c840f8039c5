"""The "Legal facts" page of a version: names, national code, level, authority, legal time and fee per
submission channel, documents (rows added and removed), result and legal sources. Saving writes procedure.toml
into a draft through `engine.reform.legal_facts`; what it refuses comes back as the form's errors."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidPackage, ValidationFailed
from engine.procedures.catalog import DraftChanged
from engine.procedures.metadata import CHANNELS, DOCUMENT_KINDS, LEVELS, TIME_UNITS
from engine.reform.creation import undo
from engine.reform.drafts import version_row
from engine.reform.legal_facts import facts_of, save_legal_facts

from ....services import request_uow
from ...pages import DESIGNER_ROLES, page, page_actor
from .blueprint import bp
from .create import number_of
from .modeler import current_number

BLANK_ROWS = 2  # empty rows under the documents and the sources: filling one adds it
MAX_ROWS = 100


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def values_of(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the form's fields."""
    legal, fee = facts["legal_time"], facts["fee"]
    values: dict[str, Any] = {
        "name_vi": facts["name"]["vi"], "name_en": facts["name"]["en"], "national_code": facts["national_code"] or "",
        "level": facts["level"], "authority_vi": facts["authority"]["vi"], "authority_en": facts["authority"]["en"],
        "legal_value": _text(legal["value"]), "legal_unit": legal["unit"], "legal_cutoff": legal.get("cutoff") or "",
        "legal_source": legal["source"], "fee_amount": _text(fee["amount"]), "fee_note": fee.get("note", ""),
        "result": facts["result"]["name"], "documents": [], "sources": [],
    }
    for channel in CHANNELS:
        own = facts["channels"].get(channel, {})
        lt, f = own.get("legal_time") or {}, own.get("fee") or {}
        values[f"{channel}_value"], values[f"{channel}_unit"] = _text(lt.get("value")), lt.get("unit", "")
        values[f"{channel}_cutoff"], values[f"{channel}_fee"] = lt.get("cutoff") or "", _text(f.get("amount"))
    for doc in facts["documents"]:
        values["documents"].append({"code": doc["code"], "name": doc["name"], "copies": _text(doc["copies"]),
                                    "kind": doc["kind"], "required": "yes" if doc["required"] else "no",
                                    "condition": doc.get("condition", ""), "form": doc.get("form", ""),
                                    "note": doc.get("note", "")})
    for source in facts["legal_source"]["documents"]:
        values["sources"].append(source if isinstance(source, dict) else {"number": "", "title": source})
    return values


def _rows(prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows posted as `<prefix>-<i>-<name>`; a row ticked `remove`, or left empty, is dropped."""
    form = request.form
    rows = []
    for i in range(MAX_ROWS):
        row = {name: form.get(f"{prefix}-{i}-{name}", "").strip() for name in names}
        if form.get(f"{prefix}-{i}-remove") or not any(row[n] for n in names if n not in ("copies", "kind",
                                                                                          "required")):
            continue
        rows.append(row)
    return rows


def facts_from_form(errors: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the facts for the engine, the values to show again); errors of numbers that are not numbers."""
    form = request.form
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in form if "-" not in k and k != "csrf_token"}
    values.pop("base_hash", None)
    values["documents"] = _rows("doc", ("code", "name", "copies", "kind", "required", "condition", "form", "note"))
    values["sources"] = _rows("src", ("number", "title"))

    def number(name: str, required: bool = True) -> float | None:
        raw = values.get(name, "")
        if not raw and not required:
            return None
        found = number_of(raw)
        if found is None:
            errors[name] = [_("Nhập một số, ví dụ 5 hoặc 1,5.")]
        return found

    legal = {"value": number("legal_value"), "unit": values.get("legal_unit"),
             "cutoff": values.get("legal_cutoff") or None, "source": values.get("legal_source", "")}
    fee_amount = number("fee_amount")
    channels: dict[str, Any] = {}
    for channel in CHANNELS:
        own: dict[str, Any] = {}
        value = number(f"{channel}_value", required=False)
        if value is not None:
            own["legal_time"] = {"value": value, "unit": values.get(f"{channel}_unit") or legal["unit"]}
            if values.get(f"{channel}_cutoff"):
                own["legal_time"]["cutoff"] = values[f"{channel}_cutoff"]
        amount = number(f"{channel}_fee", required=False)
        if amount is not None:
            own["fee"] = {"amount": int(amount) if amount.is_integer() else amount}
        if own:
            channels[channel] = own
    documents = []
    for i, row in enumerate(values["documents"]):
        copies = number_of(row["copies"] or "1")
        if copies is None:
            errors[f"documents.{i}.copies"] = [_("Nhập một số, ví dụ 5 hoặc 1,5.")]
        documents.append({"code": row["code"], "name": row["name"],
                          "copies": int(copies) if copies is not None and copies.is_integer() else copies,
                          "kind": row["kind"] or "copy", "required": row["required"] != "no",
                          "condition": row["condition"], "form": row["form"], "note": row["note"]})
    facts = {
        "name": {"vi": values.get("name_vi", ""), "en": values.get("name_en", "")},
        "national_code": values.get("national_code") or None, "level": values.get("level"),
        "authority": {"vi": values.get("authority_vi", ""), "en": values.get("authority_en", "")},
        "legal_time": legal,
        "fee": {"amount": int(fee_amount) if fee_amount is not None and fee_amount.is_integer() else fee_amount,
                "currency": "VND", "note": values.get("fee_note", "")},
        "channels": channels, "documents": documents, "result": {"name": values.get("result", "")},
        "legal_source": {"documents": [{"number": s["number"], "title": s["title"]} if s["number"] else s["title"]
                                       for s in values["sources"]]},
    }
    return facts, values


def form_field(path: str) -> str:
    """The form's field for a path in procedure.toml (`channels.online.legal_time.value` -> `online_value`)."""
    parts = path.split(".")
    simple = {"name.vi": "name_vi", "name.en": "name_en", "authority.vi": "authority_vi",
              "authority.en": "authority_en", "legal_time.value": "legal_value", "legal_time.unit": "legal_unit",
              "legal_time.cutoff": "legal_cutoff", "legal_time.source": "legal_source", "fee.amount": "fee_amount",
              "fee.note": "fee_note", "result.name": "result", "result": "result"}
    if path in simple:
        return simple[path]
    if parts[0] == "channels" and len(parts) >= 3:
        leaf = parts[-1] if parts[2] == "legal_time" else "fee"
        return f"{parts[1]}_{leaf if leaf in ('value', 'unit', 'cutoff', 'fee') else 'value'}"
    if parts[0] == "documents" and len(parts) >= 2:
        return ".".join(parts[:3])
    if parts[0] == "legal_source":
        return "sources"
    return parts[0]


def _page(code: str, number: int, values: dict[str, Any], errors: dict[str, list[str]],
          status: int = 200) -> tuple[str, int]:
    row = version_row(request_uow(), code, number)
    # the content the form was opened on, sent back with the save (a form shown again keeps the one it had)
    base_hash = request.form.get("base_hash", "")[:128] or row.content_hash
    return render_template("designer/legal_facts.html", code=code, number=number, status=row.status,
                           base_hash=base_hash,
                           current=current_number(code), values=values, errors=errors, channels=CHANNELS,
                           kinds=DOCUMENT_KINDS, levels=LEVELS, units=TIME_UNITS, blank_rows=BLANK_ROWS,
                           max_rows=MAX_ROWS), status


@bp.get("/<code>/versions/<int:number>/legal")
@page(*DESIGNER_ROLES)
def legal_facts_page(code: str, number: int) -> tuple[str, int]:
    return _page(code, number, values_of(facts_of(version_row(request_uow(), code, number))), {})


@bp.post("/<code>/versions/<int:number>/legal")
@page(*DESIGNER_ROLES)
def legal_facts_submit(code: str, number: int) -> Response | tuple[str, int]:
    version_row(request_uow(), code, number)  # 404 before reading anything
    errors: dict[str, list[str]] = {}
    facts, values = facts_from_form(errors)
    if errors:
        return _page(code, number, values, errors, 400)
    actor = page_actor()
    assert actor is not None
    uow = request_uow()
    try:
        version, _findings = save_legal_facts(uow, actor, code, number, facts, values.get("note", ""),
                                              request.form.get("base_hash", "")[:128] or None)
    except DraftChanged as exc:
        undo(uow)
        errors["form"] = [_("Chưa lưu: bản nháp %(n)s đã khác với phiên bản bạn mở (có người vừa lưu, hoặc đang có "
                            "một bản nháp khác). Hãy mở bản nháp %(n)s rồi nhập lại.", n=exc.extra.get("version"))]
        return _page(code, number, values, errors, 409)
    except ValidationFailed as exc:
        undo(uow)
        invalid = _("Giá trị không hợp lệ.")
        for path in exc.errors:
            errors.setdefault(form_field(path), [invalid])
        errors["form"] = [_("Chưa lưu: sửa các ô được đánh dấu.")]
        return _page(code, number, values, errors, 422)
    except InvalidPackage:
        undo(uow)
        return _page(code, number, values, {"form": [_("Chưa lưu: gói thủ tục không hợp lệ.")]}, 422)
    flash(_("Đã lưu thông tin pháp lý vào bản nháp %(n)s.", n=version.number))
    return redirect(url_for("designer.legal_facts_page", code=code, number=version.number))
