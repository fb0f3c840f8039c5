"""The child process that renders one document (see engine/rendering/pdf.py): forked with WeasyPrint loaded, it
drops the server's settings from its environment, caps its own address space, renders, and sends back
("pdf", bytes) or ("refused", reason)."""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any

MAX_PAGES = 200          # a longer document is refused: a template that explodes
MAX_HTML_CHARS = 5_000_000
MAX_PDF_BYTES = 50 * 1024 * 1024


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def make_fetcher(root: Path, refused: list[str]) -> Any:
    """Only files under the documents folder. A refusal stops the render (a fatal fetching error) and is noted
    in `refused`, so the reason goes out whatever WeasyPrint does with the error."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class DocumentsOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" and not parts.netloc else None
            if path is None or not path.is_relative_to(root) or not path.is_file():
                refused.append(url[:200])
                raise FatalURLFetchingError("forbidden-url")
            return URLFetcherResponse(path.as_uri(), path.read_bytes())

    return DocumentsOnly()


def render_html(job: dict[str, Any]) -> str:
    if "html" in job:
        return str(job["html"])
    from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from engine.dossiers.documents import _fmt_d, _fmt_dt, _fmt_money

    env = SandboxedEnvironment(loader=ChoiceLoader([DictLoader(job["templates"]),
                                                    FileSystemLoader(job["documents_dir"])]),
                               autoescape=True, undefined=StrictUndefined)
    env.filters.update(dt=_fmt_dt, d=_fmt_d, money=_fmt_money)
    parts: list[str] = []
    size = 0
    for chunk in env.get_template(job["template"]).generate(**job["context"]):
        size += len(chunk)
        if size > MAX_HTML_CHARS:
            raise Refused("too-large")
        parts.append(chunk)
    return "".join(parts)


def render(job: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML

    root = Path(job["documents_dir"]).resolve()
    try:
        html = render_html(job)
    except (Refused, MemoryError):
        raise
    except Exception as exc:  # a Jinja error in the template: the reason, not the library's text, goes out
        raise Refused("template-error") from exc
    refused: list[str] = []
    fetcher = make_fetcher(root, refused)
    try:
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=[CSS(filename=str(root / "print.css"), url_fetcher=fetcher)])
    except BaseException:
        if refused:
            raise Refused("forbidden-url") from None
        raise
    if refused:
        raise Refused("forbidden-url")
    if len(document.pages) > MAX_PAGES:
        raise Refused("too-large")
    if job.get("title"):
        document.metadata.title = job["title"]
    document.metadata.lang = "vi"
    document.metadata.generator = "Motcua"
    document.metadata.authors = ["Motcua"]
    pdf = document.write_pdf(pdf_variant="pdf/a-2b", uncompressed_pdf=False)
    if pdf is None or len(pdf) > MAX_PDF_BYTES:
        raise Refused("too-large")
    return bytes(pdf)


def child(connection: Any, job: dict[str, Any]) -> None:
    for name in [k for k in os.environ if k.startswith("MOTCUA_")]:  # secrets are not the template's business
        del os.environ[name]
    import logging

    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)  # a refused URL is reported by its reason below
    try:
        limit_memory(int(job.get("memory_mb", 1024)))
        outcome: tuple[str, Any] = ("pdf", render(job))
    except Refused as exc:
        outcome = ("refused", exc.reason)
    except MemoryError:
        outcome = ("refused", "memory-limit")
    except Exception:
        outcome = ("refused", "failed")
    try:
        connection.send(outcome)
    except MemoryError:
        connection.send(("refused", "memory-limit"))
    connection.close()
