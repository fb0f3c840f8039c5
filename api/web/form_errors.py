"""What the pages show of a refused form: the problem's nested fields as flat keys, and the labels to name them."""

from __future__ import annotations

from typing import Any


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested problem fields (applicant.name, data.so_tang, documents.<code>, files.<code>) as flat keys."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    messages = errors if isinstance(errors, list) else [errors]
    return {prefix or "_schema": [m if isinstance(m, str) else str(m) for m in messages]}


def form_labels(components: list[dict[str, Any]]) -> dict[str, str]:
    """Field key -> label of a form-js form, to name the fields the server refused."""
    found: dict[str, str] = {}
    for comp in components:
        key = comp.get("key") or comp.get("path")
        if key and comp.get("label"):
            found[key] = comp["label"]
        found.update(form_labels(comp.get("components") or []))
    return found
