"""Verifying a document: an uploaded PDF, or the issued result of a dossier given its code and PIN.

The validator may fetch revocation data over the network, so it never runs inside a transaction: the issued PDF
is read, the read transaction ended, and only then is it validated. A validator failure on a hostile file is an
answer ("invalid"), never an error page.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.signing.config import SigningSettings
from engine.signing.validate import ValidationReport, validate
from engine.store.uow import UnitOfWork

from .issued import pdf_by_pin
from .report import report_data
from .upload import check_pdf

log = logging.getLogger(__name__)


def _validate(pdf: bytes, settings: SigningSettings) -> ValidationReport:
    try:
        return validate(pdf, settings)
    except Exception:  # a hostile file must get an answer, and no library's words
        log.exception("the validator failed on a %d-byte document", len(pdf))
        return ValidationReport(ok=False, problem="invalid", signatures=[])


def verify_upload(data: bytes, max_bytes: int, settings: SigningSettings) -> dict[str, Any]:
    """422 (UnreadableUpload) for an empty, too large or non-PDF file; else the report, valid or not."""
    pdf = check_pdf(data, max_bytes)
    return report_data(_validate(pdf, settings), source="upload")


def verify_issued(uow: UnitOfWork, code: str, pin: str | None, client: str,
                  settings: SigningSettings) -> dict[str, Any]:
    """The dossier's issued result: 404 for an unknown code or wrong PIN (counted, 429 past the tracking limits),
    409 (no-issued-result) while none is issued."""
    pdf = pdf_by_pin(uow, code, pin, client)
    uow.session.rollback()  # the read ends here: validation may go to the network
    return report_data(_validate(pdf, settings), source="dossier", dossier=code[:100])
