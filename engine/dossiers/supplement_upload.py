"""The applicant's answer to a supplement request, from the tracking page or the API: with the dossier's code and
PIN (the tracking throttles apply), the missing files are checked and stored as the online submission's are
(`attachments.py`, the same caps, counted over everything sent for the request) and kept as attachments of the
dossier marked with the request. Audited as `supplement_submitted`, with no actor (the applicant)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.errors import Conflict, ValidationFailed
from engine.store.uow import UnitOfWork

from .attachments import ALL_FILES, Upload, UploadLimits, check_uploads
from .models import Attachment
from .supplements import WAITING, SupplementView, current_request, view_of
from .tracking import authorised

NO_FILE = "Choose at least one file."
NOTE_MAX = 2000


def submit_supplement(uow: UnitOfWork, code: str, pin: str | None, client: str, files: list[Upload],
                      note: str | None, upload_dir: Path, limits: UploadLimits) -> SupplementView:
    """The applicant sends the missing files (code and PIN, throttled as tracking is). Every problem at once
    (422); nothing is recorded then. Files may be sent more than once until reception decides."""
    dossier = authorised(uow, code, pin, client)
    request = current_request(uow.session, dossier.id)
    if dossier.status != "supplement_requested" or request is None or request.state not in WAITING:
        raise Conflict("no supplement is requested for this dossier", dossier_status=dossier.status)
    sent = uow.session.scalars(select(Attachment.document).where(Attachment.supplement_id == request.id)).all()
    room = UploadLimits(limits.max_bytes, max(limits.max_files - len(sent), 0), limits.max_files_per_document)
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    # what this request still wants is required; the other documents of the list may come too
    documents = [{**d, "required": d["code"] in request.documents and d["code"] not in sent}
                 for d in compiled.meta.get("documents", [])]
    stored, errors, details = check_uploads(documents, files, upload_dir, room)
    if not files and not errors:
        errors[ALL_FILES] = [NO_FILE]
    if errors:
        raise ValidationFailed("; ".join(details) or "choose at least one file", {"files": errors})
    now = uow.clock()
    uow.session.add_all(Attachment(dossier_id=dossier.id, document=f.document, file_name=f.file_name,
                                   content_type=f.content_type, size=f.size, sha256=f.sha256,
                                   stored_path=f.stored_path, uploaded_at=now, supplement_id=request.id)
                        for f in stored)
    request.state, request.submitted_at = "submitted", now
    if note and note.strip():
        request.applicant_note = note.strip()[:NOTE_MAX]
    dossier.updated_at = now
    uow.record(None, "supplement_submitted", "dossier", dossier.code, unit=dossier.reception_unit,
               dossier_id=dossier.id, at=now,
               detail={"by": "applicant", "round": request.round,
                       "files": [{"document": f.document, "sha256": f.sha256, "size": f.size} for f in stored]})
    uow.commit()
    found = view_of(uow, dossier, request)
    assert found is not None
    return found
