"""HTML to PDF/A-2b on A4, in a child process bounded in time and memory.

Document templates are data an administrator (or a procedure package) supplies, so rendering them is untrusted
work: a template that loops, lays out a million pages or names a URL must neither hang nor exhaust the server,
nor reach the network or the disk. Each render therefore runs in a fresh `python -m engine.rendering.worker`:

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
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import MotcuaError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_PAGES = 200          # a longer document is refused: a template that explodes
MAX_HTML_CHARS = 5_000_000
MAX_PDF_BYTES = 50 * 1024 * 1024
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
    limits = limits or RenderLimits.from_env()
    job = {**job, "documents_dir": str(documents_dir()), "memory_mb": limits.memory_mb}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        done = subprocess.run([sys.executable, "-m", "engine.rendering.worker"], input=pickle.dumps(job),
                              capture_output=True, timeout=limits.timeout, env=env, cwd=str(PROJECT_ROOT),
                              check=False)
    except subprocess.TimeoutExpired:
        raise RenderFailed("time-limit") from None
    if done.returncode == 0 and done.stdout.startswith(b"%PDF-"):
        return done.stdout
    reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
    code = reason[0].removeprefix("motcua-render: ") if reason[0].startswith("motcua-render: ") else (
        "memory-limit" if done.returncode < 0 or b"MemoryError" in done.stderr else "failed")
    raise RenderFailed(code)
