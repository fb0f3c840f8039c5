"""Public verification of a signed document: anyone, no account. A document that fails verification is an
answer (200, ok=false and the problem), not an error; bad input (no file, empty, too large, not a PDF) is 422."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, request
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from engine.signing.config import SigningSettings
from engine.verification.service import verify_issued, verify_upload
from engine.verification.upload import read_bounded

from ..clients import client_address
from ..operations import operation, respond
from ..schemas import verification as schemas
from ..services import request_uow

bp = Blueprint("verification", __name__)


def verification_of(files: Mapping[str, FileStorage], form: Mapping[str, str]) -> dict[str, Any]:
    """Shared with the page: the uploaded `file`, or else the dossier's issued result by `code` and `pin`."""
    signing = SigningSettings.from_env()  # MOTCUA_SIGNING_* and MOTCUA_VERIFY_MAX_MB
    storage = files.get("file")
    code, pin = (form.get("code") or "").strip()[:40], (form.get("pin") or "").strip()[:20]
    if (storage is None or not storage.filename) and code:
        return verify_issued(request_uow(), code, pin, client_address(), signing)
    data = read_bounded(storage.stream if storage is not None else None, signing.verify_max_bytes)
    return verify_upload(data, signing.verify_max_bytes, signing)


@bp.post("/verifications")
@operation("Verify a signed PDF: multipart/form-data with the document as `file` (a PDF by its content, at most "
           "MOTCUA_VERIFY_MAX_MB), or instead `code` and `pin` to verify a dossier's issued electronic result. "
           "The answer names each signature's signer, unit, signing time (from its timestamp) and whether the "
           "document is intact and the certificate valid (trusted chain, not revoked). A document that fails is a "
           "200 with ok=false and the problem (changed, revoked, unknown_ca, no_signature, not_pdf...).",
           tag="public", public=True,
           responses={200: schemas.DocumentVerificationOut(), 404: "unknown dossier code or wrong PIN",
                      409: "the dossier has no issued electronic result", 413: "the request is too large",
                      422: "no file, an empty file, a file over the limit, or not a PDF",
                      429: "too many failed look-ups"})
def verify() -> Response:
    return respond(schemas.DocumentVerificationOut, verification_of(request.files, request.form))
