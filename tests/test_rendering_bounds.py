"""The bounds of rendering (engine/rendering/pdf.py) and the result template as package data: no network, no file
outside the documents folder, a template that loops or explodes is stopped with a reason, a bad template is a
package problem at load, and the template is part of the package's versioned content. No database."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import InvalidPackage
from engine.procedures.archive import export_archive, read_archive
from engine.procedures.packages import read_package
from engine.procedures.specs import compile_package
from engine.rendering.pdf import RenderFailed, RenderLimits, html_to_pdf, template_to_pdf
from engine.rendering.store import DocumentDamaged, RenderedDocument, document_store_dir, read_document, write_file

from .pdf_support import read_pdf

ROOT = Path(__file__).resolve().parents[1]
HKD = "ho-kinh-doanh"
QUICK = RenderLimits(timeout=30, memory_mb=1024)  # room for a loaded machine: these do finish


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that notes every request: a render must never reach it."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("html", [
    '<img src="{url}/pixel.png">', '<link rel="stylesheet" href="{url}/style.css">',
    '<p style="background: url({url}/bg.png)">x</p>', '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="../../../../etc/passwd">', '<img src="fonts/../../pyproject.toml">',
])
def test_no_network_and_no_file_outside_the_documents(listener: tuple[str, list[str]], html: str) -> None:
    url, seen = listener
    with pytest.raises(RenderFailed) as refused:
        html_to_pdf(f"<html><body><p>Xin chào</p>{html.format(url=url)}</body></html>", QUICK)
    assert refused.value.reason == "forbidden-url" and refused.value.code == "render-failed"
    assert seen == []


def test_the_vendored_fonts_are_served_and_nothing_else_is_needed() -> None:
    facts = read_pdf(html_to_pdf("<p>Ỷ ỹ Ự ự ẫ ậ đ Đ</p>", QUICK, title="Thử"))
    assert "Ỷỹ" in facts.text.replace(" ", "") and facts.info["/Title"] == "Thử"
    assert all(facts.fonts.values())


@pytest.mark.parametrize(("source", "reason"), [
    # loops that print nothing: the wall clock stops them
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "time-limit"),
    # loops that print: the output is capped
    ("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}", "too-large"),
    # a reasonable HTML that lays out hundreds of pages
    ('{% for i in range(210) %}<div style="break-after: page">{{ i }}</div>{% endfor %}', "too-large"),
    ("{{ 1 // 0 }}", "template-error"),
    ("{{ nothing.here }}", "template-error"),
    ("{{ ''.__class__.__mro__ }}", "template-error"),  # the sandbox refuses
])
def test_a_hostile_template_is_stopped_with_a_reason(source: str, reason: str) -> None:
    with pytest.raises(RenderFailed) as failed:
        template_to_pdf({"procedure/result.html": source}, "procedure/result.html", {},
                        RenderLimits(timeout=6 if reason == "time-limit" else 30))
    assert failed.value.reason == reason, failed.value


def _hkd(tmp_path: Path, result_html: str | None, toml_extra: str = "") -> Path:
    folder = tmp_path / HKD
    folder.mkdir()
    for item in (ROOT / "processes" / HKD).iterdir():
        if item.name != "result.html":
            (folder / item.name).write_bytes(item.read_bytes())
    if result_html is not None:
        (folder / "result.html").write_text(result_html, encoding="utf-8")
    if toml_extra:
        toml = folder / "procedure.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('template = "result.html"', toml_extra),
                        encoding="utf-8")
    return folder


def test_the_result_template_is_versioned_with_the_procedure(tmp_path: Path) -> None:
    shipped = read_package(ROOT / "processes" / HKD, ROOT / "forms")
    assert "result.html" in shipped.files
    compiled = compile_package(shipped)
    assert compiled.meta["result"]["template"] == "result.html"
    assert compiled.meta["result"]["number_symbol"] == "GCN-HKD"
    changed = read_package(_hkd(tmp_path, shipped.files["result.html"].decode() + "\n<!-- v2 -->"), ROOT / "forms")
    assert changed.content_hash != shipped.content_hash  # a new template is a new version
    again = read_archive(export_archive(shipped))  # the archive carries it
    assert again.files["result.html"] == shipped.files["result.html"]
    assert again.content_hash == shipped.content_hash


@pytest.mark.parametrize(("html", "toml", "code"), [
    ("{% for x in %}", "", "result-template-invalid"),
    (None, "", "result-template-missing"),
    ("x" * (300 * 1024), "", "result-template-too-large"),
    ("<p>ok</p>", 'template = "../result.html"', "metadata-invalid"),
])
def test_a_bad_result_template_is_a_package_problem(tmp_path: Path, html: str | None, toml: str, code: str) -> None:
    package = read_package(_hkd(tmp_path, html, toml), ROOT / "forms")
    with pytest.raises(InvalidPackage) as bad:
        compile_package(package)
    assert code in {p.code for p in bad.value.problems}, bad.value.problems


def test_stored_files_are_content_addressed_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_DOCUMENT_STORE_DIR", str(tmp_path))
    digest, relative = write_file(b"%PDF-1.7 one")
    assert write_file(b"%PDF-1.7 one") == (digest, relative) and document_store_dir() == tmp_path
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{digest}.pdf"]  # no temporary left
    doc = RenderedDocument(id=1, sha256=digest, size=12, stored_path=relative, kind="receipt")
    assert read_document(None, doc) == b"%PDF-1.7 one"  # type: ignore[arg-type]
    (tmp_path / relative).write_bytes(b"%PDF-1.7 two")
    with pytest.raises(DocumentDamaged):
        read_document(None, doc)  # type: ignore[arg-type]
