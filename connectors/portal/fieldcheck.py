"""The stand-in portal's check of a record against the field list (`mapping/fields.toml`): what a real portal
would refuse, said the way it says it (one Vietnamese reason)."""

from __future__ import annotations

import re
from typing import Any

from .mapping import load


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _problem(record: Any, rules: dict[str, Any], pattern: re.Pattern[str], where: str) -> str | None:
    if not isinstance(record, dict):
        return f"{where}: bản ghi không phải một đối tượng JSON"
    for name in rules.get("required", []):
        if _empty(record.get(name)):
            return f"{where}: thiếu trường bắt buộc {name}"
    for name in rules.get("dates", []):
        value = record.get(name)
        if not _empty(value) and not (isinstance(value, str) and pattern.match(value)):
            return f"{where}: trường {name} không đúng định dạng ngày yyyyMMddHHmmss ({value!r})"
    for name, (low, high) in rules.get("codes", {}).items():
        value = record.get(name)
        if _empty(value):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, bool) or not low <= number <= high:
            return f"{where}: trường {name} có mã {value!r} ngoài danh mục ({low}–{high})"
    for name, item_rules in rules.get("lists", {}).items():
        items = record.get(name)
        if _empty(items):
            continue
        if not isinstance(items, list):
            return f"{where}: trường {name} phải là một danh sách"
        for index, item in enumerate(items):
            found = _problem(item, item_rules, pattern, f"{where}.{name}[{index}]")
            if found:
                return found
    return None


def problem(service: str, body: dict[str, Any]) -> str | None:
    """Why the portal would refuse this call's records; None when it would take them."""
    fields = load("fields.toml")
    rules = fields.get(service)
    if rules is None:
        return None
    data = body.get("data")
    if not isinstance(data, list) or not data:
        return f"{service}: thiếu danh sách bản ghi (data)"
    pattern = re.compile(fields["date_pattern"])
    for index, record in enumerate(data):
        found = _problem(record, rules, pattern, f"{service}.data[{index}]")
        if found:
            return found
    return None
