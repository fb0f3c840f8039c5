"""Reading a rendered PDF in tests with pyHanko's reader: the PDF/A identification in the XMP metadata, the page
size, the fonts (each must be embedded) and the text (through each font's ToUnicode map)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

A4 = (595.0, 842.0)  # points, within a point


@dataclass
class PdfFacts:
    pages: list[tuple[float, float]]
    xmp: str
    fonts: dict[str, bool]  # base font name -> embedded (FontFile2/FontFile3 on its descriptor)
    text: str
    info: dict[str, str] = field(default_factory=dict)
    lang: str | None = None


def _cmap(stream: Any) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries (what WeasyPrint writes)."""
    data = stream.data.decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _font_facts(font: Any) -> tuple[str, bool]:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return str(font.get("/BaseFont")), any(k in descriptor for k in ("/FontFile2", "/FontFile3", "/FontFile"))


def _fonts(page: Any) -> dict[str, Any]:
    resources = page["/Resources"].get_object() if "/Resources" in page else generic.DictionaryObject()
    fonts = resources.get("/Font")
    return dict(fonts.get_object().items()) if fonts is not None else {}


def _page_text(page: Any) -> str:
    maps = {name: _cmap(font.get_object()["/ToUnicode"].get_object())
            for name, font in _fonts(page).items() if "/ToUnicode" in font.get_object()}
    contents = page["/Contents"]
    streams = [c.get_object() for c in contents] if isinstance(contents, generic.ArrayObject) else [contents]
    data = b"".join(s.data for s in streams).decode("latin-1")
    out: list[str] = []
    current: dict[int, str] = {}
    for token in re.finditer(r"/(\S+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj|(ET)", data, re.S):
        if token.group(1):
            current = maps.get("/" + token.group(1), {})
        elif token.group(2) is not None or token.group(3) is not None:
            hexes = re.findall(r"<([0-9A-Fa-f]*)>", token.group(2)) if token.group(2) is not None else [token.group(3)]
            for chunk in hexes:
                out.extend(current.get(int(chunk[i:i + 4], 16), "") for i in range(0, len(chunk) - 3, 4))
        else:
            out.append("\n")
    return "".join(out)


def _leaves(node: Any) -> list[Any]:
    node = node.get_object()
    if node.get("/Type") == "/Pages":
        return [leaf for kid in node["/Kids"] for leaf in _leaves(kid)]
    return [node]


def read_pdf(pdf: bytes) -> PdfFacts:
    reader = PdfFileReader(BytesIO(pdf))
    root = reader.root
    xmp = root["/Metadata"].get_object().data.decode("utf-8") if "/Metadata" in root else ""
    pages, fonts, texts = [], {}, []
    for page in _leaves(root["/Pages"]):
        box = [float(x) for x in page["/MediaBox"]]
        pages.append((box[2] - box[0], box[3] - box[1]))
        for font in _fonts(page).values():
            name, embedded = _font_facts(font.get_object())
            fonts[name] = embedded
        texts.append(_page_text(page))
    info = {str(k): str(v) for k, v in reader.trailer["/Info"].get_object().items()} \
        if "/Info" in reader.trailer else {}
    lang = str(root["/Lang"]) if "/Lang" in root else None
    return PdfFacts(pages=pages, xmp=xmp, fonts=fonts, text="".join(texts), info=info, lang=lang)


def is_pdfa_2b(facts: PdfFacts) -> bool:
    x = facts.xmp
    return bool(re.search(r"pdfaid:part(=\"2\"|>2<)", x) and re.search(r"pdfaid:conformance(=\"B\"|>B<)", x))
