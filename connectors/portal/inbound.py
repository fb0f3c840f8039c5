"""Dossiers forwarded by the national public service portal: its record (DongBoHoSoMC field names) read into a
plain submission dict, by the mapping in `mapping/inbound.toml` (field names, applicant kinds and the unit table are
data). Knows nothing of Motcua: the API hands the dict to engine/sync/inbound.py."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MAPPING_FILE = Path(__file__).parent / "mapping" / "inbound.toml"
TOKEN_ENV = "MOTCUA_PORTAL_INBOUND_TOKEN"
TEXT_MAX = 2000  # no field of a record is longer; the engine's own checks are tighter


class RecordError(ValueError):
    """A record that cannot be read; str() is the reason, in Vietnamese (the portal's staff read it)."""


@dataclass(frozen=True)
class InboundMapping:
    date_format: str
    time_zone: ZoneInfo
    max_documents: int
    fields: dict[str, str]
    applicant: dict[str, str]
    kinds: dict[str, str]
    document: dict[str, str]
    units: dict[str, str]


@lru_cache(maxsize=4)
def load_mapping(path: Path = MAPPING_FILE) -> InboundMapping:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return InboundMapping(date_format=raw["date_format"], time_zone=ZoneInfo(raw["time_zone"]),
                          max_documents=int(raw["max_documents"]), fields=dict(raw["fields"]),
                          applicant=dict(raw["applicant"]), kinds=dict(raw["kinds"]),
                          document=dict(raw["document"]), units=dict(raw.get("units", {})))


def inbound_token(environ: dict[str, str] | None = None) -> str | None:
    """The bearer token the portal sends; None: the inbound path is off."""
    env = os.environ if environ is None else environ
    return env.get(TOKEN_ENV) or None


def read_record(record: Any, mapping: InboundMapping | None = None) -> dict[str, Any]:
    """The submission of one forwarded record: portal_code, national_code, procedure_name, unit (Motcua's code
    when the unit table knows the portal's, else the portal's own), applicant, data, documents, submitted_at (ISO
    UTC) and summary. Raises RecordError when the record is not an object or a field has the wrong type."""
    m = mapping or load_mapping()
    if not isinstance(record, dict):
        raise RecordError("Bản ghi hồ sơ phải là một đối tượng JSON")
    f = m.fields
    unit = _text(record, f["unit"])
    applicant = {key: _text(record, name) for key, name in m.applicant.items()}
    kind = applicant.pop("kind")
    if kind is not None and kind not in m.kinds:
        raise RecordError(f"Loại đối tượng ({m.applicant['kind']}) không hợp lệ: {kind}")
    applicant["kind"] = m.kinds.get(kind or "", "person")
    declaration = record.get(f["declaration"])
    if declaration is None:
        declaration = {}
    if not isinstance(declaration, dict):
        raise RecordError(f"Dữ liệu tờ khai ({f['declaration']}) phải là một đối tượng JSON")
    return {"portal_code": _text(record, f["portal_code"]), "national_code": _text(record, f["national_code"]),
            "procedure_name": _text(record, f["procedure_name"]), "summary": _text(record, f["summary"]),
            "unit": m.units.get(unit, unit) if unit is not None else None,
            "applicant": {k: v for k, v in applicant.items() if v is not None},
            "data": declaration, "documents": _documents(record.get(f["documents"]), m),
            "submitted_at": _date(record, f["submitted_at"], m)}


def _text(record: dict[str, Any], name: str) -> str | None:
    """A field as text: a number is written out (codes and phone numbers sometimes come as numbers)."""
    value = record.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"Trường {name} phải là chuỗi ký tự")
    text = str(value).strip()
    if len(text) > TEXT_MAX:
        raise RecordError(f"Trường {name} dài quá {TEXT_MAX} ký tự")
    return text or None


def _date(record: dict[str, Any], name: str, m: InboundMapping) -> str | None:
    text = _text(record, name)
    if text is None:
        return None
    try:
        local = datetime.strptime(text, m.date_format).replace(tzinfo=m.time_zone)
    except ValueError:
        raise RecordError(f"Trường {name} không đúng dạng yyyyMMddHHmmss: {text[:40]}") from None
    return local.astimezone(UTC).isoformat()


def _documents(value: Any, m: InboundMapping) -> list[dict[str, Any]]:
    """The documents listed, without those marked deleted; names and links only (the files stay on the portal)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > m.max_documents:
        raise RecordError(f"Danh sách tài liệu ({m.fields['documents']}) phải là một mảng tối đa "
                          f"{m.max_documents} phần tử")
    found = []
    for item in value:
        if not isinstance(item, dict):
            raise RecordError(f"Mỗi tài liệu trong {m.fields['documents']} phải là một đối tượng JSON")
        if item.get(m.document["deleted"]) in (True, 1, "1", "true"):
            continue
        entry = {key: _text(item, name) for key, name in m.document.items() if key != "deleted"}
        url = entry.get("url")
        if url is not None and not url.lower().startswith(("https://", "http://")):
            entry["url"] = None  # only web links are kept: the pages show them as links
        found.append({k: v for k, v in entry.items() if v is not None})
    return found
