"""Vietnamese text folding for search: case and diacritics are ignored ("Nguyễn Đức" ~ "nguyen duc")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()
