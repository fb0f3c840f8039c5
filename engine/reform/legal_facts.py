"""The legal facts of a procedure (names, national code, level, authority, legal time and fee per channel,
documents, result, legal sources) edited as data: written into the version's procedure.toml and stored as a
draft through `save_draft`. The rest of the file (process id, BPMN, escalation) is kept as it was."""

from __future__ import annotations

import tomllib
from typing import Any

from engine.errors import ValidationFailed
from engine.people.actors import Actor
from engine.procedures.metadata import METADATA_FILE, parse_metadata
from engine.procedures.models import ProcedureVersion
from engine.procedures.packages import ProcedurePackage
from engine.procedures.toml_writer import dumps
from engine.store.uow import UnitOfWork

from .drafts import package_of, require_reformer, save_draft, version_row
from .validation import Finding

# What the legal-facts form edits; anything else in procedure.toml stays as the designer wrote it.
FACT_KEYS = ("name", "national_code", "field", "level", "authority", "legal_time", "fee", "channels", "documents",
             "result", "legal_source")


def facts_of(row: ProcedureVersion) -> dict[str, Any]:
    """A version's legal facts as the form and the API show them: its procedure.toml read by today's schema
    (so a version stored before a field existed shows its default), else the metadata stored with it."""
    meta, _problems = parse_metadata(row.files.get(METADATA_FILE, "").encode("utf-8"))
    meta = meta or row.meta
    return {key: meta.get(key) for key in FACT_KEYS} | {"channels": meta.get("channels") or {}}


def _clean(value: Any) -> Any:
    """Nulls and empty tables dropped: TOML has no null, and an empty channel entry means 'the default'."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {}}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    return value


def with_facts(toml_text: str, facts: dict[str, Any]) -> bytes:
    """procedure.toml with these facts in place of the old ones; refused (422) when the result is invalid."""
    unknown = sorted(set(facts) - set(FACT_KEYS))
    if unknown:
        raise ValidationFailed("unknown fields", {key: ["Unknown field."] for key in unknown})
    raw = tomllib.loads(toml_text)
    for key in FACT_KEYS:
        if key in facts:
            value = _clean(facts[key])
            if key == "result" and isinstance(value, dict) and isinstance(raw.get("result"), dict):
                # the legal fact is the result's name; how Motcua issues it (sign_step, template...) stays
                value = {**raw["result"], **value}
            if value is None or value == "" or (key == "channels" and not value):
                raw.pop(key, None)
            else:
                raw[key] = value
    try:
        content = dumps(raw).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("the legal facts are not valid", {"metadata": [str(exc)]}) from None
    meta, problems = parse_metadata(content)
    if meta is None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field or "metadata", []).append(
                problem.message.removeprefix(f"{METADATA_FILE}: {problem.field}: "))
        raise ValidationFailed("the legal facts are not valid", errors)
    return content


def save_legal_facts(uow: UnitOfWork, actor: Actor, code: str, number: int, facts: dict[str, Any],
                     note: str = "", base_hash: str | None = None) -> tuple[ProcedureVersion, list[Finding]]:
    """Write the facts into the version's package and store it as a draft (the same content: that version).
    The facts are written over the version as it was read (`base_hash`, by default as it is now): when another
    draft is open, or the draft changed since the form was opened, the save is refused (409) rather than
    overwrite that draft with this version's diagram and forms."""
    require_reformer(actor)
    row = version_row(uow, code, number)
    base_hash = base_hash or row.content_hash
    content = with_facts(row.files[METADATA_FILE], facts)
    package = package_of(row)
    changed = content != package.files.get(METADATA_FILE)
    package = ProcedurePackage(code, {**package.files, METADATA_FILE: content}, package.forms)
    if changed:
        uow.record(actor, "legal_facts_saved", "procedure", code, before={"version": number},
                   detail={"fields": sorted(facts)})
    return save_draft(uow, actor, package, note or f"Sửa thông tin pháp lý (từ phiên bản {number})", base_hash)
