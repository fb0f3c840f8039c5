"""form-js definitions become server-side validation: what the officer sees is what the server checks."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationFailed
from engine.procedures.forms import FormDefinition, check_form

FORM = {"type": "default", "components": [
    {"type": "text", "text": "# Tờ khai"},
    {"type": "textfield", "key": "ho_ten", "label": "Họ và tên",
     "validate": {"required": True, "minLength": 2, "maxLength": 50}},
    {"type": "textfield", "key": "so_dinh_danh", "validate": {"pattern": "^[0-9]{12}$"}},
    {"type": "number", "key": "so_tang", "decimalDigits": 0, "validate": {"min": 1, "max": 7}},
    {"type": "number", "key": "dien_tich", "validate": {"min": 0}},
    {"type": "checkbox", "key": "dong_y"},
    {"type": "radio", "key": "hinh_thuc", "values": [{"label": "Trực tiếp", "value": "truc_tiep"},
                                                     {"label": "Bưu chính", "value": "buu_chinh"}]},
    {"type": "checklist", "key": "giay_to", "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]},
    {"type": "datetime", "subtype": "date", "key": "ngay_hen"},
    {"type": "group", "components": [{"type": "textarea", "key": "ghi_chu", "validate": {"maxLength": 20}}]},
    {"type": "group", "path": "dia_chi", "components": [
        {"type": "textfield", "key": "tinh", "validate": {"required": True}}]},
    {"type": "textfield", "key": "ma_ho_so", "readonly": True},
]}
VALID = {"ho_ten": "Nguyễn Thị Ánh", "so_dinh_danh": "096188001234", "so_tang": 3, "dien_tich": 84.5,
         "dong_y": True, "hinh_thuc": "buu_chinh", "giay_to": ["a", "b"], "ngay_hen": "2026-02-23",
         "ghi_chu": "Đủ", "dia_chi": {"tinh": "Cà Mau"}}


def errors_for(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as info:
        FormDefinition("t", FORM).validate(data)
    return info.value.errors


def test_valid_data_passes_and_keeps_vietnamese_text() -> None:
    assert FormDefinition("t", FORM).validate(VALID) == VALID


def test_required_fields() -> None:
    assert set(errors_for({"dia_chi": {}})) == {"ho_ten", "dia_chi"}
    assert "ho_ten" in errors_for({**VALID, "ho_ten": ""})


@pytest.mark.parametrize(("field", "value"), [
    ("ho_ten", "A"), ("ho_ten", "x" * 51), ("ho_ten", 12),
    ("so_dinh_danh", "12345"), ("so_tang", 0), ("so_tang", 8), ("so_tang", 2.5), ("so_tang", "3"),
    ("dien_tich", -1), ("dong_y", "yes"), ("hinh_thuc", "fax"), ("giay_to", ["c"]),
    ("ngay_hen", "23/02/2026"), ("ghi_chu", "x" * 21), ("ma_ho_so", "HS-1"), ("khong_co", 1),
])
def test_each_rule_is_enforced(field: str, value: Any) -> None:
    assert field in errors_for({**VALID, field: value})


def test_nested_group_errors_are_nested() -> None:
    assert errors_for({**VALID, "dia_chi": {"tinh": ""}}) == {"dia_chi": {"tinh": ["Missing data for required field."]}}


def test_non_object_data_is_rejected() -> None:
    with pytest.raises(ValidationFailed):
        FormDefinition("t", FORM).validate(["a"])


def test_form_definition_checks() -> None:
    assert check_form("ok", FORM) == []
    bad = {"components": [{"type": "textfield", "key": "a b"}, {"type": "textfield", "key": "x"},
                          {"type": "textfield", "key": "x"}, {"type": "radar", "key": "y"},
                          {"type": "textfield", "key": "z", "validate": {"pattern": "("}}, {"label": "no type"}]}
    assert sorted(p.code for p in check_form("bad", bad)) == sorted(
        ["form-bad-key", "form-duplicate-key", "form-unknown-component", "form-bad-pattern", "form-invalid"])
    assert check_form("empty", {"type": "default"})[0].code == "form-invalid"
