"""What an uploaded document must be before it is verified: not empty, not larger than MOTCUA_VERIFY_MAX_MB, and a
PDF by its first bytes. Anything else is refused as bad input (422 with a code), never handed to the validator."""

from __future__ import annotations

from typing import IO

from engine.errors import ValidationFailed

PDF_MAGIC = b"%PDF-"
EMPTY, TOO_LARGE, NOT_PDF, MISSING = "empty-file", "file-too-large", "not-pdf", "no-file"


class UnreadableUpload(ValidationFailed):
    """The upload is no PDF to verify; `code` says why (empty-file, file-too-large, not-pdf, no-file)."""

    title = "Unreadable upload"

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail, {"file": [detail]})
        self.code = code
        self.extra.update(extra)


def read_bounded(stream: IO[bytes] | None, max_bytes: int) -> bytes:
    """The upload's bytes, reading at most one byte past the cap (a larger file is refused, not held)."""
    if stream is None:
        raise UnreadableUpload(MISSING, "send the document as the multipart part `file`")
    data = stream.read(max_bytes + 1)
    return check_pdf(data, max_bytes)


def check_pdf(data: bytes, max_bytes: int) -> bytes:
    if not data:
        raise UnreadableUpload(EMPTY, "the file is empty")
    if len(data) > max_bytes:
        raise UnreadableUpload(TOO_LARGE, f"the file is larger than {max_bytes / 1024 / 1024:g} MB",
                               max_bytes=max_bytes)
    if not data.startswith(PDF_MAGIC):
        raise UnreadableUpload(NOT_PDF, "the file is not a PDF document")
    return data
