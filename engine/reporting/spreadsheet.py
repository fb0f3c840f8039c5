"""CSV files that a spreadsheet on a Vietnamese-locale computer opens as they are, by a double click.

- **UTF-8 with a byte-order mark.** Excel reads a CSV without one in the machine's ANSI code page
  (Windows-1258 for Vietnamese), so "Nguyễn" would come out as "NguyÃªn"; with the mark it reads UTF-8.
  LibreOffice Calc preselects UTF-8 in its import dialog when it sees the mark.
- **`;` between cells.** Excel splits a CSV it opens directly on the *list separator* of Windows' regional
  settings. For Vietnamese (vi-VN) the decimal symbol is the comma, so the list separator is the semicolon,
  as in every locale that writes decimals with a comma; a comma-separated file lands in one column there.
  A cell holding `;`, a quote or a line break is quoted (RFC 4180), so a name with a semicolon stays one cell.
  Excel's `sep=;` first line was not used: with it Excel ignores the byte-order mark and the accents break.
- **Numbers and dates as that locale reads them.** Decimals with a comma (`95,5`), no thousands separator
  (vi-VN groups with a dot, so `1.234` would be read as one thousand two hundred thirty four, and `95.5` as
  text); dates `dd/mm/yyyy` and times `dd/mm/yyyy HH:MM` in Asia/Ho_Chi_Minh, which Excel and Calc in that
  locale take as dates.
- **No formulas.** A cell that starts like one (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading `'`,
  so an applicant's name cannot run in the officer's spreadsheet.

The headers follow the page's language; the layout does not (the spreadsheet's locale is the computer's).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.time.clock import LOCAL_TZ

SEPARATOR = ";"
BOM = "\ufeff"
CHUNK_ROWS = 500  # rows per piece of a streamed file
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_WORDS = {"vi": ("Có", "Không"), "en": ("Yes", "No")}


def cell(value: Any, lang: str = "vi") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        yes, no = _WORDS.get(lang, _WORDS["vi"])
        return yes if value else no
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")  # rates, rounded to two places already
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if text[:1] in _FORMULA_STARTS:
        return "'" + text  # an applicant's name must not run as a spreadsheet formula
    return text


def _lines(rows: Iterable[Sequence[Any]], lang: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n").writerows(
        [cell(v, lang) for v in row] for row in rows)
    return out.getvalue()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], lang: str = "vi") -> bytes:
    """A whole file: the mark, the header, the rows."""
    return (BOM + _lines([header, *rows], lang)).encode("utf-8")


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], lang: str = "vi") -> Iterator[bytes]:
    """The same file in pieces of CHUNK_ROWS rows, for a response that is sent while it is read."""
    yield (BOM + _lines([header], lang)).encode("utf-8")
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK_ROWS:
            yield _lines(batch, lang).encode("utf-8")
            batch = []
    if batch:
        yield _lines(batch, lang).encode("utf-8")
