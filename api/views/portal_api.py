"""The citizen portal's REST endpoints (no account), and officers' downloads of the files sent online."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request, send_file, session
from marshmallow import ValidationError

from engine.dossiers.attachments import (
    ACCEPTED_EXTENSIONS,
    EXTENSIONS,
    StoredFile,
    Upload,
    UploadLimits,
    attachments_of,
    open_attachment,
)
from engine.dossiers.portal import OnlineSubmission, catalogue, competent_units, submit_online
from engine.errors import BadRequest, NotFound, ValidationFailed
from engine.procedures.catalog import current_version
from engine.procedures.specs import CompiledProcedure

from ..auth import current_actor
from ..clients import client_address
from ..operations import load_json, operation, respond
from ..schemas import portal as portal_schemas
from ..services import request_uow, services

bp = Blueprint("portal_api", __name__)
FILE_PREFIX = "file:"


def procedure_body(compiled: CompiledProcedure) -> dict[str, Any]:
    """A procedure as the portal shows it: the legal facts, the documents, the form and where to send it."""
    settings = services().settings
    return {**compiled.meta, "code": compiled.code, "version": compiled.version_number,
            "start_form": compiled.forms[compiled.start_form].schema_json if compiled.start_form else None,
            "units": competent_units(request_uow(), compiled),
            "upload": {"max_bytes": settings.upload_max_bytes, "accept": ACCEPTED_EXTENSIONS,
                       "max_files": settings.upload_max_files,
                       "max_files_per_document": settings.upload_max_files_per_document}}


def uploads_from_request() -> list[Upload]:
    """Files named `file:<document code>`; a file input left empty sends a nameless, empty part: skipped."""
    found = []
    for name in request.files:
        if not name.startswith(FILE_PREFIX):
            continue
        for storage in request.files.getlist(name):
            if storage.filename:
                found.append(Upload(name[len(FILE_PREFIX):], storage.filename, storage.stream))
    return found


def submit_from_request(fields: dict[str, Any], key: str | None, pin: str | None = None,
                        kept: list[StoredFile] | None = None, field_sources: dict[str, str] | None = None,
                        population: dict[str, Any] | None = None) -> Any:
    """Run the online submission with the request's files (and those `kept` from a refused attempt), limited per
    client address; returns `Submitted`. `population` names the fields a signed-in citizen took from their own
    look-up in the population database ({fields, lookup, subject}), which the engine checks."""
    settings = services().settings
    proof = population or {}
    sub = OnlineSubmission(procedure=fields["procedure"], applicant=fields["applicant"],
                           competent_unit=fields["competent_unit"], data=fields["data"],
                           files=uploads_from_request(), submission_key=key,
                           client=client_address(), pin=pin, kept=kept or [],
                           result_delivery=fields.get("result_delivery"), field_sources=field_sources or {},
                           population_fields=tuple(proof.get("fields", ())), population_lookup=proof.get("lookup"),
                           citizen_subject=proof.get("subject"))
    limits = UploadLimits(settings.upload_max_bytes, settings.upload_max_files, settings.upload_max_files_per_document)
    return submit_online(request_uow(), sub, settings.upload_dir, limits, settings.submit_limit)


@bp.get("/public/procedures")
@operation("The citizen catalogue: current procedures, optionally searched with `q` (every word must appear in "
           "the name or authority; case and Vietnamese diacritics are ignored)", tag="public", public=True,
           query=portal_schemas.CatalogueQuery(), responses={200: portal_schemas.PublicProcedureList()})
def public_procedures():  # type: ignore[no-untyped-def]
    items = [{**c.meta, "code": c.code, "version": c.version_number} for c in catalogue(request_uow(), g.query["q"])]
    return respond(portal_schemas.PublicProcedureList, {"items": items})


@bp.get("/public/procedures/<code>")
@operation("One procedure for citizens: authority, legal time, fee, required documents, result, legal basis, "
           "the declaration form (form-js), the units a dossier may be sent to and the upload limits",
           tag="public", public=True, responses={200: portal_schemas.PublicProcedureDetail(), 404: "unknown code"})
def public_procedure(code: str):  # type: ignore[no-untyped-def]
    compiled = current_version(request_uow().session, request_uow().cache, code)
    return respond(portal_schemas.PublicProcedureDetail, procedure_body(compiled))


@bp.post("/public/dossiers")
@operation("Submit a dossier online, without an account. multipart/form-data: a `submission` part holding JSON "
           "`{procedure, applicant: {kind?, name, id_number | tax_code + representative, phone, address, email?}, "
           "competent_unit, data, result_delivery?}` (counter, post or electronic) and one "
           "file part per document, named `file:<document code>` (PDF, JPEG or PNG by content, each at most "
           "MOTCUA_UPLOAD_MAX_MB; at most MOTCUA_UPLOAD_MAX_FILES files in all, 20 by default, and "
           "MOTCUA_UPLOAD_MAX_FILES_PER_DOCUMENT for one document, 5 by default: more and no file is stored, "
           "the 422's `files` says `_all` or the document). Every problem is reported at once in a 422 whose "
           "`errors` has `applicant`, "
           "`competent_unit`, `data` (by form field) and `files` (by document code). The dossier waits in "
           "`registered` for the unit's reception. The response carries the tracking PIN, once; an "
           "Idempotency-Key header makes a repeated submit return the first dossier (without the PIN). Each client "
           "address may have at most MOTCUA_SUBMIT_LIMIT (default 10) submissions accepted per hour; past it, "
           "429 with Retry-After (seconds). A replay of an accepted submission does not count and still answers.",
           tag="public", public=True,
           responses={201: portal_schemas.PortalSubmitted(), 404: "unknown procedure",
                      413: "the request is larger than the server accepts", 422: "invalid data or files",
                      429: "too many submissions from this address in the last hour"})
def public_submit():  # type: ignore[no-untyped-def]
    raw = request.form.get("submission")
    if raw is None:
        raise BadRequest("send multipart/form-data with a `submission` part (JSON)")
    parsed = load_json(raw, "submission part")
    if not isinstance(parsed, dict):
        raise BadRequest("the submission part must be a JSON object")
    try:
        fields = portal_schemas.PortalSubmissionIn().load(parsed)
    except ValidationError as err:
        raise ValidationFailed("the submission is not valid", err.messages) from None  # type: ignore[arg-type]
    submitted = submit_from_request(fields, request.headers.get("Idempotency-Key"))
    body = {"dossier": submitted.dossier, "pin": submitted.pin,
            "attachments": attachments_of(request_uow().session, submitted.dossier)}
    return respond(portal_schemas.PortalSubmitted, body, 201,
                   headers={"Location": f"/api/v1/public/dossiers/{submitted.dossier.code}"})


@bp.get("/dossiers/<code>/attachments/<int:attachment_id>")
@operation("Download a file sent with a dossier: officers who may see the dossier. Anyone else, signed in or "
           "not, gets 404, so that a file's existence never leaks.", tag="dossiers",
           responses={200: (" ".join(sorted(EXTENSIONS)), "the file, as an attachment"),
                      404: "unknown dossier or file"})
def download_attachment(code: str, attachment_id: int) -> Response:
    if "Authorization" not in request.headers and "uid" not in session:
        raise NotFound(f"dossier {code} has no attachment {attachment_id}")
    row, path = open_attachment(request_uow().session, current_actor(), code, attachment_id,
                                services().settings.upload_dir)
    response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.file_name,
                         max_age=0, etag=row.sha256, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

