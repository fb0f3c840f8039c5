"""One national procedure record (LayThuTuc's format) read into Motcua's legal facts (the keys of
legal_facts.FACT_KEYS plus `field`), by the mapping data. A record that cannot be read is refused with a reason
in Vietnamese and English; nothing here touches the database."""

from __future__ import annotations

import math
import re
from typing import Any

from engine.procedures.metadata import INT32_MAX, MAX_LEGAL_TIME, NATIONAL_CODE_PATTERN
from engine.text import fold

MAX_TEXT = 500


class RecordRefused(ValueError):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def _list(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RecordRefused(f"Trường {key} phải là một danh sách.", f"{key} must be a list.")
    return value


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()[:limit] if value is not None else ""


def _number(value: Any, what_vi: str, what_en: str) -> float:
    try:
        number = float(str(value).replace(",", ".")) if not isinstance(value, bool) else float("nan")
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):  # NaN, infinity: no amount or time
        raise RecordRefused(f"{what_vi} không phải là số: “{_text(value, 50)}”.", f"{what_en} is not a number.")
    return number


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")[:60]


def _channel_terms(entry: dict[str, Any], mapping: dict[str, Any], kenh: str) -> dict[str, Any]:
    times = _list(entry, "THOIGIAN")
    if not times:
        raise RecordRefused(f"Kênh {kenh} không có thời gian giải quyết (THOIGIAN).",
                            f"Channel {kenh} has no processing time (THOIGIAN).")
    first = times[0]  # several THOIGIAN are cases; the first is the general one
    unit_text = _text(first.get("DONVITINH")).lower()
    unit = mapping["units"].get(unit_text)
    if unit is None:
        raise RecordRefused(f"Đơn vị thời gian “{_text(first.get('DONVITINH'), 50)}” không được hỗ trợ (ngày làm việc, "
                            "ngày, giờ làm việc, giờ, tuần).",
                            f"Unsupported time unit '{_text(first.get('DONVITINH'), 50)}'.")
    value = _number(first.get("THOIGIANGIAIQUYET"), "Thời gian giải quyết", "The processing time") * unit["factor"]
    if not 0 < value <= MAX_LEGAL_TIME:
        raise RecordRefused(f"Thời gian giải quyết phải lớn hơn 0 và không quá {MAX_LEGAL_TIME}.",
                            f"The processing time must be above 0 and at most {MAX_LEGAL_TIME}.")
    fees = _list(first, "PHILEPHI")
    amount = 0
    for fee in fees:
        money = _number(fee.get("SOTIEN") or 0, "Số tiền phí, lệ phí", "A fee's amount")
        if money < 0 or money != int(money):
            raise RecordRefused("Số tiền phí, lệ phí phải là số nguyên không âm.", "A fee must be a whole amount ≥ 0.")
        amount += int(money)
    if amount > INT32_MAX:
        raise RecordRefused("Tổng phí, lệ phí quá lớn.", "The fees add up to too much.")
    note = "; ".join(t for t in (_text(f.get("MOTA"), 1000) for f in fees) if t)
    return {"legal_time": {"value": value, "unit": unit["unit"], "source": _text(first.get("MOTA"), 2000)},
            "fee": {"amount": amount, "note": note}}


def _documents(record: dict[str, Any], mapping: dict[str, Any]) -> list[dict[str, Any]]:
    rules = mapping["documents"]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in _list(record, "THANHPHANHOSO"):
        for paper in _list(group, "GIAYTO"):
            name = _text(paper.get("TENGIAYTO"), 2000)
            if not name:
                raise RecordRefused("Có giấy tờ không có tên (TENGIAYTO).", "A document has no name (TENGIAYTO).")
            code = _slug(str(paper.get("MAGIAYTO") or "")) or f"giay-to-{len(out) + 1}"
            if len(code) < 2 or code in seen:
                code = f"{code[:50]}-{len(out) + 1}"
            seen.add(code)
            lower = name.lower()
            kind = next((k["kind"] for k in rules["kinds"] if lower.startswith(k["prefix"])), rules["default_kind"])
            optional = any(m in lower for m in rules["optional_markers"])
            form = _text(paper.get("URL")) or _text(paper.get("TENMAUDON"))
            out.append({"code": code, "name": name, "copies": 1, "kind": kind, "required": not optional,
                        "condition": name if optional else "", "form": form})
    return out


def facts_from_record(record: Any, mapping: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise RecordRefused("Bản ghi không phải là một đối tượng JSON.", "The record is not a JSON object.")
    national = _text(record.get("MATTHC"), 50)
    if not national:
        raise RecordRefused("Thiếu mã thủ tục hành chính (MATTHC).", "The national code (MATTHC) is missing.")
    if re.fullmatch(NATIONAL_CODE_PATTERN, national) is None:
        raise RecordRefused(f"Mã thủ tục “{national}” không đúng dạng (ví dụ 1.001193).",
                            f"The national code '{national}' is malformed (e.g. 1.001193).")
    name = _text(record.get("TENTTHC"))
    if not name:
        raise RecordRefused("Thiếu tên thủ tục (TENTTHC).", "The procedure's name (TENTTHC) is missing.")
    channels: dict[str, dict[str, Any]] = {}
    for entry in _list(record, "CACHTHUCTHUCHIEN"):
        kenh = _text(entry.get("KENH"), 10)
        channel = mapping["channels"].get(kenh)
        if channel is None:
            raise RecordRefused(f"Kênh nộp hồ sơ (KENH) “{kenh}” không có trong danh mục (1, 2, 3).",
                                f"Unknown channel (KENH) '{kenh}'.")
        channels.setdefault(channel, _channel_terms(entry, mapping, kenh))
    if not channels:
        raise RecordRefused("Thiếu cách thức thực hiện (CACHTHUCTHUCHIEN): không có thời hạn giải quyết.",
                            "No channel (CACHTHUCTHUCHIEN): the record gives no legal time.")
    sources = [{"number": _text(s.get("SOVANBAN"), 100), "title": _text(s.get("TENVANBAN"), 1000)}
               for s in _list(record, "CANCUPHAPLY") if _text(s.get("TENVANBAN"))]
    if not sources:
        raise RecordRefused("Thiếu căn cứ pháp lý (CANCUPHAPLY).", "The legal basis (CANCUPHAPLY) is missing.")
    results = [_text(r.get("TENKETQUA")) for r in _list(record, "KETQUATHUCHIEN") if _text(r.get("TENKETQUA"))]
    if not results:
        raise RecordRefused("Thiếu kết quả thực hiện (KETQUATHUCHIEN).", "The result (KETQUATHUCHIEN) is missing.")
    authorities = [_text(a.get("TENDONVI")) for a in _list(record, "COQUANTHUCHIEN") if _text(a.get("TENDONVI"))]
    authority = "; ".join(authorities)[:MAX_TEXT] or "Ủy ban nhân dân cấp xã"
    fields_ = [f for f in _list(record, "LINHVUCTHUCHIEN") if _text(f.get("TENLINHVUC"))]
    default = channels.get(mapping["default_channel"]) or next(iter(channels.values()))
    source_line = f"{sources[0]['number']} {sources[0]['title']}".strip()
    legal_time = {**default["legal_time"], "source": default["legal_time"]["source"] or source_line}
    own = {}
    for channel, terms in channels.items():
        entry: dict[str, Any] = {}
        if (terms["legal_time"]["value"], terms["legal_time"]["unit"]) != (legal_time["value"], legal_time["unit"]):
            entry["legal_time"] = {k: v for k, v in terms["legal_time"].items() if v}
        if terms["fee"]["amount"] != default["fee"]["amount"]:
            entry["fee"] = terms["fee"]
        if entry:
            own[channel] = entry
    facts: dict[str, Any] = {
        "name": {"vi": name, "en": _text(mapping["name_en"].format(national_code=national, name=name))},
        "national_code": national, "level": mapping["level"],
        "authority": {"vi": authority, "en": _text(mapping["authority_en"].format(name=authority))},
        "legal_time": legal_time,
        "fee": {"amount": default["fee"]["amount"], "currency": "VND", "note": default["fee"]["note"]},
        "channels": own, "documents": _documents(record, mapping), "result": {"name": "; ".join(results)[:2000]},
        "legal_source": {"documents": sources},
    }
    if fields_:
        facts["field"] = {"code": _text(fields_[0].get("MALINHVUC"), 100), "name": _text(fields_[0]["TENLINHVUC"])}
    return facts
