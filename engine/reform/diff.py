"""What changes between two versions of a procedure, as data and as readable lines (vi and en):
steps added, removed or renamed, lanes, time budgets and forms changed, the legal time, required documents,
form fields and the fee.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import NotFound
from engine.procedures.catalog import SpecCache
from engine.procedures.models import ProcedureVersion
from engine.procedures.specs import CompiledProcedure


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
                      "removed": [old_docs[c]["name"] for c in old_docs if c not in new_docs]},
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


def version(session: Any, cache: SpecCache, code: str, number: int) -> CompiledProcedure:
    row = session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code,
                                                         ProcedureVersion.number == number)).first()
    if row is None:
        raise NotFound(f"procedure {code} has no version {number}")
    return cache.get(session, row.id)
