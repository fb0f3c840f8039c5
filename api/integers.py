"""Integers from outside (URL paths, query strings, page forms): ASCII digits only, and no more than the
databases hold, so a huge or odd number is a 404 or a 422, never an overflow in the database driver.

(`str.isdigit` is not enough: it accepts "²", which `int` refuses, and any number of digits.)
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

INT64_MAX = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's bigint; `integer` columns compare with it safely
INT32_MAX = 2**31 - 1  # what a PostgreSQL `integer` column holds: the bound of a value that is stored


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: a number beyond 64 bits matches no route (404)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = INT64_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_int(raw: str | None, low: int = 0, high: int = INT64_MAX) -> int | None:
    """The integer `raw` spells (optionally signed, ASCII digits), if it lies in [low, high]; else None."""
    text = (raw or "").strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or len(digits) > 19 or not digits.isascii() or not digits.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None
