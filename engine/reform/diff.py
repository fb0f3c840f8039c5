"""What changes between two versions of a procedure, as data and as readable lines (vi and en):
steps added, removed or renamed, lanes, time budgets and forms changed, the legal time, required documents,
form fields and the fee.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import NotFound
from engine.procedures.catalog import SpecCache
from engine.procedures.metadata import CHANNELS, fee_for
from engine.procedures.models import ProcedureVersion
from engine.procedures.specs import CompiledProcedure
from engine.time.deadlines import legal_time_for


def diff(old: CompiledProcedure, new: CompiledProcedure) -> dict[str, Any]:
    steps: dict[str, list[dict[str, Any]]] = {k: [] for k in ("added", "removed", "renamed", "lane_changed",
                                                                 "budget_changed", "form_changed")}
    for bpmn_id, step in new.steps.items():
        before = old.steps.get(bpmn_id)
        if before is None:
            steps["added"].append({"id": bpmn_id, "name": step.name, "role": step.role, "budget": step.time_budget})
            continue
        for key, attr in (("renamed", "name"), ("lane_changed", "role"), ("budget_changed", "time_budget"),
                          ("form_changed", "form_key")):
            if getattr(before, attr) != getattr(step, attr):
                steps[key].append({"id": bpmn_id, "name": step.name, "from": getattr(before, attr),
                                   "to": getattr(step, attr)})
    steps["removed"] = [{"id": i, "name": s.name} for i, s in old.steps.items() if i not in new.steps]
    old_docs = {d["code"]: d for d in old.meta["documents"]}
    new_docs = {d["code"]: d for d in new.meta["documents"]}
    old_legal, new_legal = _legal(old.meta), _legal(new.meta)
    return {
        "from_version": old.version_number, "to_version": new.version_number,
        "steps": steps,
        "legal_time": None if old_legal == new_legal else {"from": old_legal, "to": new_legal},
        "documents": {"added": [new_docs[c]["name"] for c in new_docs if c not in old_docs],
                      "removed": [old_docs[c]["name"] for c in old_docs if c not in new_docs],
                      "changed": [{"name": new_docs[c]["name"], "from": _terms(old_docs[c]), "to": _terms(new_docs[c])}
                                  for c in new_docs if c in old_docs and _terms(old_docs[c]) != _terms(new_docs[c])]},
        "channels": _channels(old.meta, new.meta),
        "form_fields": _form_fields(old, new),
        "fee": None if old.meta["fee"]["amount"] == new.meta["fee"]["amount"] else
        {"from": old.meta["fee"]["amount"], "to": new.meta["fee"]["amount"]},
    }


CHANGED_KEYS = ("renamed", "lane_changed", "budget_changed", "form_changed")


def element_marks(change: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Which element of each diagram to colour, and how: on the old diagram the removed steps and the changed
    ones, on the new diagram the added steps and the changed ones (id -> added | removed | changed)."""
    steps = change["steps"]
    changed = {s["id"]: "changed" for key in CHANGED_KEYS for s in steps[key]}
    return {"old": {**changed, **{s["id"]: "removed" for s in steps["removed"]}},
            "new": {**changed, **{s["id"]: "added" for s in steps["added"]}}}


def _terms(doc: dict[str, Any]) -> dict[str, Any]:
    """What a citizen must bring of a document: how many, which kind, whether required (and when)."""
    return {"copies": doc.get("copies", 1), "kind": doc.get("kind") or ("original" if doc.get("original") else "copy"),
            "required": doc.get("required", True), "condition": doc.get("condition", "")}


def _channels(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each submission channel whose own legal time or fee changed (the defaults' change shows once, above)."""
    changes: dict[str, dict[str, Any]] = {}
    for channel in CHANNELS:
        if channel not in (old.get("channels") or {}) and channel not in (new.get("channels") or {}):
            continue
        a, b = legal_time_for(old, channel), legal_time_for(new, channel)
        before = {"value": a["value"], "unit": a["unit"], "cutoff": a.get("cutoff"), "fee": fee_for(old, channel)}
        after = {"value": b["value"], "unit": b["unit"], "cutoff": b.get("cutoff"), "fee": fee_for(new, channel)}
        if before != after:
            changes[channel] = {"from": before, "to": after}
    return changes


CHANNEL_NAMES = {"counter": ("trực tiếp", "at the counter"), "online": ("trực tuyến", "online"),
                 "postal": ("qua bưu chính", "by post")}
KIND_NAMES = {"original": ("bản chính", "original"), "copy": ("bản sao", "copy"),
              "certified_copy": ("bản sao chứng thực", "certified copy")}


def _legal(meta: dict[str, Any]) -> dict[str, Any]:
    return {"value": meta["legal_time"]["value"], "unit": meta["legal_time"]["unit"]}


def _form_fields(old: CompiledProcedure, new: CompiledProcedure) -> dict[str, dict[str, list[str]]]:
    changes: dict[str, dict[str, list[str]]] = {}
    for name in sorted(set(old.forms) | set(new.forms)):
        before = set(old.forms[name].keys) if name in old.forms else set()
        after = set(new.forms[name].keys) if name in new.forms else set()
        if before != after:
            changes[name] = {"added": sorted(after - before), "removed": sorted(before - after)}
    return changes


UNITS = {"working_days": ("ngày làm việc", "working days"), "working_hours": ("giờ làm việc", "working hours")}


def describe(change: dict[str, Any]) -> dict[str, list[str]]:
    """Readable lines, in Vietnamese and in English."""
    vi: list[str] = []
    en: list[str] = []
    steps = change["steps"]
    for s in steps["added"]:
        vi.append(f"Thêm bước “{s['name']}” ({s['role']}, {s['budget']})")
        en.append(f"Step added: “{s['name']}” ({s['role']}, {s['budget']})")
    for s in steps["removed"]:
        vi.append(f"Bỏ bước “{s['name']}”")
        en.append(f"Step removed: “{s['name']}”")
    labels = {"renamed": ("Đổi tên bước", "Step renamed"), "lane_changed": ("Đổi vai trò xử lý", "Lane changed"),
              "budget_changed": ("Đổi thời hạn bước", "Step budget changed"),
              "form_changed": ("Đổi biểu mẫu", "Form changed")}
    for key, (label_vi, label_en) in labels.items():
        for s in steps[key]:
            vi.append(f"{label_vi} “{s['name']}”: {s['from']} → {s['to']}")
            en.append(f"{label_en} “{s['name']}”: {s['from']} → {s['to']}")
    if change["legal_time"]:
        a, b = change["legal_time"]["from"], change["legal_time"]["to"]
        vi.append(f"Thời hạn giải quyết: {a['value']:g} {UNITS[a['unit']][0]} → {b['value']:g} {UNITS[b['unit']][0]}")
        en.append(f"Legal time: {a['value']:g} {UNITS[a['unit']][1]} → {b['value']:g} {UNITS[b['unit']][1]}")
    for doc in change["documents"]["added"]:
        vi.append(f"Thêm thành phần hồ sơ: {doc}")
        en.append(f"Document added: {doc}")
    for doc in change["documents"]["removed"]:
        vi.append(f"Bỏ thành phần hồ sơ: {doc}")
        en.append(f"Document removed: {doc}")
    for doc in change["documents"].get("changed", []):
        a, b = doc["from"], doc["to"]
        vi.append(f"Đổi yêu cầu giấy tờ “{doc['name']}”: {_doc_text(a, 0)} → {_doc_text(b, 0)}")
        en.append(f"Document terms changed, “{doc['name']}”: {_doc_text(a, 1)} → {_doc_text(b, 1)}")
    for channel, terms in change.get("channels", {}).items():
        a, b = terms["from"], terms["to"]
        name_vi, name_en = CHANNEL_NAMES[channel]
        vi.append(f"Nộp {name_vi}: {_channel_text(a, 0)} → {_channel_text(b, 0)}")
        en.append(f"Submitted {name_en}: {_channel_text(a, 1)} → {_channel_text(b, 1)}")
    for form, fields in change["form_fields"].items():
        if fields["added"]:
            vi.append(f"Biểu mẫu {form}: thêm trường {', '.join(fields['added'])}")
            en.append(f"Form {form}: fields added {', '.join(fields['added'])}")
        if fields["removed"]:
            vi.append(f"Biểu mẫu {form}: bỏ trường {', '.join(fields['removed'])}")
            en.append(f"Form {form}: fields removed {', '.join(fields['removed'])}")
    if change["fee"]:
        vi.append(f"Lệ phí: {change['fee']['from']:,} → {change['fee']['to']:,} đồng".replace(",", "."))
        en.append(f"Fee: {change['fee']['from']:,} → {change['fee']['to']:,} VND")
    return {"vi": vi, "en": en}


def _doc_text(terms: dict[str, Any], lang: int) -> str:
    required = ("bắt buộc", "required") if terms["required"] else ("nếu có", "if applicable")
    condition = f" ({terms['condition']})" if terms["condition"] and not terms["required"] else ""
    return f"{terms['copies']} {KIND_NAMES[terms['kind']][lang]}, {required[lang]}{condition}"


def _channel_text(terms: dict[str, Any], lang: int) -> str:
    fee = f"{terms['fee']:,}".replace(",", ".") + " đồng" if lang == 0 else f"{terms['fee']:,} VND"
    cutoff = f", {('nhận sau', 'after')[lang]} {terms['cutoff']}" if terms.get("cutoff") else ""
    return f"{terms['value']:g} {UNITS[terms['unit']][lang]}{cutoff}, {fee}"


def version(session: Any, cache: SpecCache, code: str, number: int) -> CompiledProcedure:
    row = session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code,
                                                         ProcedureVersion.number == number)).first()
    if row is None:
        raise NotFound(f"procedure {code} has no version {number}")
    return cache.get(session, row.id)
