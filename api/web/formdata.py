"""A form-js declaration without JavaScript: the portal renders the procedure's form-js schema as plain HTML fields
(`templates/portal/_form.html`, fields named `data.<key>`), and this module reads them back into the same data
form-js would have sent, for the engine to check as always. Nothing here knows a procedure."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

PREFIX = "data."
TEXT_TYPES = ("textfield", "textarea")
CHOICE_TYPES = ("radio", "select")
LIST_TYPES = ("checklist", "taglist")
CONTAINER_TYPES = ("group", "dynamiclist", "iframe")


def fields_of(components: list[dict[str, Any]], skip: set[str] | frozenset[str] = frozenset()
              ) -> list[dict[str, Any]]:
    """The input fields a page shows, in order, through groups without a path (a group with a path, or a dynamic
    list, needs form-js: it is left to the script)."""
    found: list[dict[str, Any]] = []
    for comp in components:
        if not isinstance(comp, dict):
            continue
        if comp.get("type") in CONTAINER_TYPES:
            if not comp.get("path"):
                found.extend(fields_of(comp.get("components") or [], skip))
            continue
        if comp.get("key") and comp["key"] not in skip and not comp.get("readonly") and not comp.get("disabled"):
            found.append(comp)
    return found


def _choice(comp: dict[str, Any], raw: str) -> Any:
    for option in comp.get("values") or []:
        if isinstance(option, dict) and str(option.get("value")) == raw:
            return option.get("value")
    return raw  # not one of the options: the engine says so


def _number(comp: dict[str, Any], raw: str) -> Any:
    text = raw.strip().replace(" ", "").replace(",", ".")
    try:
        return int(text) if comp.get("decimalDigits") == 0 or text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return raw  # the engine answers "Not a valid number." beside the field


def declaration_from_form(schema_json: dict[str, Any] | None, form: MultiDict[str, str],
                          skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The declaration from `data.<key>` fields; an empty optional field is left out, as form-js leaves it."""
    if not schema_json:
        return {}
    data: dict[str, Any] = {}
    for comp in fields_of(schema_json.get("components") or [], skip):
        key, ctype, name = comp["key"], comp.get("type"), PREFIX + comp["key"]
        if ctype == "checkbox":
            data[key] = form.get(name) == "true"
        elif ctype in LIST_TYPES:
            data[key] = [_choice(comp, v) for v in form.getlist(name)]
        elif ctype in TEXT_TYPES:
            if name in form:
                data[key] = form.get(name, "").strip()
        else:
            raw = form.get(name, "").strip()
            if not raw:
                continue
            data[key] = _number(comp, raw) if ctype == "number" else _choice(comp, raw) if ctype in CHOICE_TYPES \
                else raw
    return data
