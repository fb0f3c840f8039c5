"""Every Vietnamese text in the templates has its English translation; catalogues compile."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.web.i18n import COMPILED, SOURCES, compile_catalogs

TEMPLATES = SOURCES.parent / "templates"


def _extracted() -> set[str]:
    found = extract_from_dir(str(TEMPLATES), method_map=[("**.html", "jinja2.ext:babel_extract")],
                             options_map={"**.html": {"extensions": "jinja2.ext.i18n"}})
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in found:
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def _translated(lang: str) -> set[str]:
    ids: set[str] = set()
    for po in (SOURCES / lang).glob("*.po"):
        with po.open("rb") as fh:
            ids.update(m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id and m.string)
    return ids


def test_every_template_text_has_an_english_translation() -> None:
    texts = _extracted()
    assert len(texts) > 10
    missing = sorted(texts - _translated("en"))
    assert not missing, f"add these to api/web/i18n/en/*.po: {missing}"


def test_catalogues_compile() -> None:
    compile_catalogs()
    assert (COMPILED / "en" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0


def test_no_text_is_translated_two_ways() -> None:
    # the catalogues are merged into one: a text translated differently in two areas would show one of them
    translations: dict[str, set[str]] = {}
    for po in (SOURCES / "en").glob("*.po"):
        with po.open("rb") as fh:
            for m in read_po(fh):
                if m.id and m.string:
                    translations.setdefault(str(m.id), set()).add(str(m.string))
    clashes = {k: v for k, v in translations.items() if len(v) > 1}
    assert not clashes, clashes
