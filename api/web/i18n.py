"""Vietnamese by default, English on request (Flask-Babel).

Templates are written in Vietnamese; `i18n/<lang>/*.po` hold the other languages, one catalogue per area of
the site so that each can be kept beside its pages. They are merged and compiled into
`translations/<lang>/LC_MESSAGES/messages.mo` when the app starts (and by `make assets`) if a source is newer.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import Babel, format_decimal

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "i18n"
COMPILED = HERE / "translations"
LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LANG_COOKIE = "motcua_lang"


def compile_catalogs(sources: Path = SOURCES, compiled: Path = COMPILED) -> list[Path]:
    """Merge each language's .po files into one messages.mo; only when a source changed."""
    written = []
    for lang_dir in sorted(p for p in sources.iterdir() if p.is_dir()) if sources.exists() else []:
        pos = sorted(lang_dir.glob("*.po"))
        target = compiled / lang_dir.name / "LC_MESSAGES" / "messages.mo"
        if target.exists() and all(p.stat().st_mtime <= target.stat().st_mtime for p in pos):
            continue
        merged = Catalog(locale=lang_dir.name)
        for po in pos:
            with po.open("rb") as fh:
                for message in read_po(fh, locale=lang_dir.name):
                    if message.id and message.string:
                        merged[message.id] = message
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_mo(fh, merged)
        written.append(target)
    return written


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


def init_i18n(app: Flask, timezone: str) -> None:
    with contextlib.suppress(OSError):  # a read-only install: `make assets` compiled them already
        compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(COMPILED))
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: timezone)
    zone = ZoneInfo(timezone)

    def localtime(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        """Stored times are UTC; people read Asia/Ho_Chi_Minh."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone).strftime(fmt)

    def money(amount: int | float | None) -> str:
        return "" if amount is None else f"{format_decimal(amount)} đ"

    def form_date(value: object, subtype: str | None = "date") -> str:
        """A form's date (YYYY-MM-DD), time or date-time as people read it; anything unreadable as it is."""
        if not isinstance(value, str):
            return "" if value is None else str(value)
        try:
            if subtype == "time":
                return value[:5]
            if subtype == "datetime":
                return localtime(datetime.fromisoformat(value))
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value

    def number(value: object) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(format_decimal(value))
        return "" if value is None else str(value)

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["form_date"] = form_date
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["money"] = money
    app.jinja_env.globals["current_lang"] = lambda: g.get("lang") or select_locale()
