"""HTML to PDF/A-2b on A4, in a child process bounded in time and memory.

Document templates are data an administrator (or a procedure package) supplies, so rendering them is untrusted
work: a template that loops, lays out a million pages or names a URL must neither hang nor exhaust the server,
nor reach the network or the disk. Each render therefore runs in a child forked from a server process that has
WeasyPrint loaded (multiprocessing's forkserver):

- its address space is capped (`MOTCUA_RENDER_MEMORY_MB`, 1024 MB) and it is killed after
  `MOTCUA_RENDER_TIMEOUT` seconds (30): a clear `RenderFailed` with a reason, never a hung worker;
- WeasyPrint's `url_fetcher` serves only files under the documents folder (the vendored fonts, the print
  stylesheet); anything else (http:, file:, data: to elsewhere) is refused and the render fails;
- the output is PDF/A-2b (`pdf_variant="pdf/a-2b"`), A4, fonts embedded (DejaVu Serif from documents/fonts/),
  metadata: the title, language vi, creator "Motcua".

A result template may be rendered from its Jinja source in the same child (`template_to_pdf`), so that a
template's own loops are bounded too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import children
from engine.errors import MotcuaError

from . import worker
from .worker import MAX_HTML_CHARS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REASONS_VI = {
    "time-limit": "Dựng văn bản PDF quá thời gian cho phép.",
    "memory-limit": "Dựng văn bản PDF vượt quá bộ nhớ cho phép.",
    "too-large": "Văn bản quá dài (quá nhiều trang hoặc nội dung).",
    "forbidden-url": "Mẫu văn bản tham chiếu tài nguyên không được phép (mạng hoặc tệp ngoài thư mục mẫu).",
    "template-error": "Mẫu văn bản có lỗi, không dựng được.",
    "failed": "Không dựng được văn bản PDF.",
}


class RenderFailed(MotcuaError):
    """A document could not be rendered: `reason` is one of REASONS_VI's keys."""

    title = "Document rendering failed"
    code = "render-failed"

    def __init__(self, reason: str, detail: str = "") -> None:
        reason = reason if reason in REASONS_VI else "failed"
        super().__init__(detail or REASONS_VI[reason], reason=reason, message_vi=REASONS_VI[reason])
        self.reason = reason


@dataclass(frozen=True)
class RenderLimits:
    timeout: float = 30.0
    memory_mb: int = 1024

    @classmethod
    def from_env(cls) -> RenderLimits:
        return cls(timeout=float(os.environ.get("MOTCUA_RENDER_TIMEOUT", "30")),
                   memory_mb=int(os.environ.get("MOTCUA_RENDER_MEMORY_MB", "1024")))


def documents_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DOCUMENTS_DIR", PROJECT_ROOT / "documents")).resolve()


def html_to_pdf(html: str, limits: RenderLimits | None = None, title: str | None = None) -> bytes:
    """PDF/A-2b, A4, fonts embedded; bounded; refuses network and files outside the documents folder."""
    if len(html) > MAX_HTML_CHARS:
        raise RenderFailed("too-large")
    return _run({"html": html, "title": title}, limits)


def template_to_pdf(templates: dict[str, str], name: str, context: dict[str, Any],
                    limits: RenderLimits | None = None, title: str | None = None) -> bytes:
    """Render the Jinja template `name` (sources in `templates`, plus the documents folder's) with `context`,
    then to PDF, both inside the bounded child."""
    return _run({"templates": templates, "template": name, "context": context, "title": title}, limits)


def _run(job: dict[str, Any], limits: RenderLimits | None) -> bytes:
    """One render in a child forked from a server that has WeasyPrint loaded already (a fresh interpreter would
    spend a second or more importing it), killed after the time limit."""
    limits = limits or RenderLimits.from_env()
    job = {**job, "documents_dir": str(documents_dir()), "memory_mb": limits.memory_mb}
    receiving, sending = children.pipe()
    process = children.start(worker.child, (sending, job))
    sending.close()
    try:
        if not receiving.poll(limits.timeout):
            raise RenderFailed("time-limit")
        outcome, value = receiving.recv()
    except (EOFError, OSError):  # the child died: out of memory
        raise RenderFailed("memory-limit") from None
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if outcome == "pdf" and isinstance(value, bytes) and value.startswith(b"%PDF-"):
        return value
    raise RenderFailed(str(value))
