"""Form data as people read it: each value beside its label from the form-js form it was entered in, choices
by their labels, groups and lists nested as the form nests them.

The declaration a citizen submitted and what each officer entered at a step are kept as the form's keys and
values (`ca_nhan`, `true`, `2026-03-02`); officers read "Cá nhân đăng ký hộ kinh doanh", yes, 02/03/2026. This
module pairs them; the pages and the API say booleans and dates in their language and format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .forms import CONTAINER_TYPES, INPUT_TYPES

CHOICE_TYPES = frozenset({"radio", "select", "checklist", "taglist"})


@dataclass(frozen=True)
class ReadField:
    """One answer: `type` is form-js's component type (`group` and `dynamiclist` hold `children`; a key the
    form does not have is `unknown`); `choices` are the labels of the chosen values of a choice field."""

    key: str
    label: str
    type: str
    value: Any = None
    subtype: str | None = None  # datetime: date, time or datetime
    choices: list[str] | None = None
    children: list[ReadField] = field(default_factory=list)  # a group's fields
    items: list[list[ReadField]] = field(default_factory=list)  # a dynamic list's rows


def read_form(schema_json: dict[str, Any] | None, data: dict[str, Any] | None) -> list[ReadField]:
    """The answers in `data`, in the form's order, labelled; keys the form does not know come last."""
    data = data if isinstance(data, dict) else {}
    components = (schema_json or {}).get("components") or []
    fields, used = _read(components, data)
    extra = [ReadField(key=str(k), label=str(k), type="unknown", value=v) for k, v in data.items() if k not in used]
    return fields + extra


def _label(comp: dict[str, Any], key: str) -> str:
    for name in ("label", "dateLabel", "timeLabel"):
        if isinstance(comp.get(name), str) and comp[name].strip():
            return str(comp[name]).strip()
    return key


def _choice_labels(comp: dict[str, Any], value: Any) -> list[str] | None:
    options = {repr(v.get("value")): v.get("label") for v in comp.get("values") or [] if isinstance(v, dict)}
    if not options:  # options that come from data (valuesKey): the values are all there is
        return None
    chosen = value if isinstance(value, list) else [value]
    return [str(options.get(repr(v)) or v) for v in chosen if v is not None]


def _read(components: list[Any], data: dict[str, Any]) -> tuple[list[ReadField], set[str]]:
    found: list[ReadField] = []
    used: set[str] = set()
    for comp in components:
        if not isinstance(comp, dict):
            continue
        ctype = comp.get("type")
        if ctype in CONTAINER_TYPES and not comp.get("path"):  # a group for layout: its fields are the form's
            children, keys = _read(comp.get("components") or [], data)
            used |= keys
            if children:
                found.append(ReadField(key=str(comp.get("id") or ""), label=_label(comp, ""), type="group",
                                       children=children))
            continue
        if ctype not in INPUT_TYPES and ctype not in CONTAINER_TYPES:
            continue
        key = comp.get("key") or comp.get("path")
        if not isinstance(key, str) or key not in data:
            continue
        used.add(key)
        value, label = data[key], _label(comp, key)
        if ctype == "group":  # a group with a path nests its answers in an object
            children, _keys = _read(comp.get("components") or [], value if isinstance(value, dict) else {})
            found.append(ReadField(key=key, label=label, type="group", children=children))
        elif ctype == "dynamiclist":
            rows = [(_read(comp.get("components") or [], row)[0]) for row in value if isinstance(row, dict)] \
                if isinstance(value, list) else []
            found.append(ReadField(key=key, label=label, type="dynamiclist", items=rows))
        else:
            found.append(ReadField(key=key, label=label, type=str(ctype), value=value,
                                   subtype=comp.get("subtype", "date") if ctype == "datetime" else None,
                                   choices=_choice_labels(comp, value) if ctype in CHOICE_TYPES else None))
    return found, used
