"""A dossier's result document: its state for officers, the draft and the issued PDF, and the leader's two ways
to sign (remote: the phone confirms; plugin: the signed file uploaded). The remote service's webhook is a machine
caller let in by its HMAC; it only makes Motcua ask the service (the body alone is never trusted)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from engine.errors import BadRequest, Conflict
from engine.results.job import finish_signed, poll
from engine.results.models import PENDING
from engine.results.plugin import accept_signed_upload
from engine.results.remote import start_remote
from engine.results.retry import retry_now
from engine.results.service import check_leader, document, result_of, summary
from engine.signing.config import SigningSettings

from ..auth import current_actor, login_required
from ..operations import load_json, operation, respond
from ..problems import problem
from ..results import remote_signing, verified_webhook
from ..schemas import results as schemas
from ..services import request_uow, services

bp = Blueprint("results", __name__)
MAX_UPLOAD = 20 * 1024 * 1024  # a signed result is a few hundred kilobytes
MAX_WEBHOOK = 16 * 1024
OFFICER_ROLES = ("reception", "specialist", "leader")


def _summary(code: str) -> Response:
    uow = request_uow()
    uow.session.rollback()  # read what the units of work committed
    dossier, row = result_of(uow, current_actor(), code)
    return respond(schemas.ResultOut, summary(uow, current_actor(), dossier, row))


@bp.get("/dossiers/<code>/result")
@login_required(*OFFICER_ROLES)
@operation("The dossier's result document: state (rendering, awaiting_leader, leader_pending, leader_signed, "
           "issued), number, signer, when issued, the issued PDF's SHA-256 and the links to the draft and the PDF. "
           "`state` null: no result was asked for (the leader has not approved).", tag="results",
           responses={200: schemas.ResultOut(), 404: "unknown dossier, or not in your units"})
def read_result(code: str) -> Response:
    return _summary(code)


def _pdf(code: str, which: str) -> Response:
    uow = request_uow()
    dossier, row = result_of(uow, current_actor(), code)
    doc_id = None if row is None else row.draft_id if which == "draft" else (
        row.signed_id if row.state == "issued" else None)
    found = document(uow, doc_id)
    if found is None:  # the dossier is the caller's to see: only the document is not there (yet)
        raise Conflict(f"dossier {code} has no {which} result PDF (yet)", state=row.state if row else None)
    doc, data = found
    name = f"{dossier.code}-{'du-thao' if which == 'draft' else 'ket-qua'}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": doc.sha256,
        "Cache-Control": "no-store"})


@bp.get("/dossiers/<code>/result/draft.pdf")
@login_required(*OFFICER_ROLES)
@operation("The rendered draft of the result (PDF/A), as the leader signs it (the browser plugin signs this file).",
           tag="results", responses={200: "application/pdf", 404: "unknown dossier, or not in your units",
                                     409: "no draft yet"})
def result_draft(code: str) -> Response:
    return _pdf(code, "draft")


@bp.get("/dossiers/<code>/result/signed.pdf")
@login_required(*OFFICER_ROLES)
@operation("The issued result: signed by the leader (LeaderSignature) and sealed by the unit (UnitSeal), "
           "PAdES with time stamps and revocation data.", tag="results",
           responses={200: "application/pdf", 404: "unknown dossier, or not in your units", 409: "not issued yet"})
def result_signed(code: str) -> Response:
    return _pdf(code, "signed")


def _leader_of(code: str) -> None:
    """404 outside the caller's units, 403 for an officer there who is not a leader of the competent unit."""
    dossier, _ = result_of(request_uow(), current_actor(), code)
    check_leader(current_actor(), dossier)


@bp.post("/dossiers/<code>/result/remote-signing")
@login_required(*OFFICER_ROLES)
@operation("The leader signs remotely: the draft's digest is sent to the remote signing service and the leader "
           "confirms on the phone; poll GET /dossiers/{code}/result (the job, or the webhook, finishes it).",
           tag="results", responses={202: schemas.RemoteSigningOut(), 403: "not a leader of the competent unit",
                                     404: "unknown dossier", 409: "not awaiting the leader, or the service is down"})
def sign_remotely(code: str) -> Response:
    _leader_of(code)
    remote = remote_signing()
    if remote is None:
        raise Conflict("no remote signing service is configured (MOTCUA_REMOTE_SIGNING_URL)",
                       reason="not-configured")
    request_uow().session.rollback()
    tx = start_remote(services().uow, current_actor(), code, remote, SigningSettings.from_env())
    return respond(schemas.RemoteSigningOut, {"transaction_id": tx, "state": PENDING}, 202)


@bp.post("/dossiers/<code>/result/signed")
@login_required(*OFFICER_ROLES)
@operation("The browser-plugin flow: the draft signed on the leader's computer, uploaded as multipart/form-data "
           "`file`. Accepted only as the draft plus one valid signature, trusted, unrevoked, in the leader's name; "
           "then sealed by the unit and issued.", tag="results",
           responses={200: schemas.ResultOut(), 400: "no file", 403: "not a leader of the competent unit",
                      404: "unknown dossier", 409: "not awaiting the leader", 413: "the file is too large",
                      422: "the signature is refused (`reason`: changed, revoked, unknown_ca, not_incremental, "
                           "not_the_leader, ...)"})
def upload_signed(code: str) -> Response:
    _leader_of(code)
    if (request.content_length or 0) > MAX_UPLOAD:
        return problem(413, "request-entity-too-large", "Request entity too large",
                       f"the signed file is larger than {MAX_UPLOAD // (1024 * 1024)} MB")
    storage = request.files.get("file")
    data = storage.stream.read(MAX_UPLOAD + 1) if storage is not None else b""
    if not data:
        raise BadRequest("send the signed PDF as multipart/form-data `file`")
    if len(data) > MAX_UPLOAD:
        return problem(413, "request-entity-too-large", "Request entity too large", "the signed file is too large")
    request_uow().session.rollback()
    settings = SigningSettings.from_env()
    accept_signed_upload(services().uow, current_actor(), code, data, settings)
    finish_signed(services().uow, settings)  # the unit's seal now; the job retries if the TSA is away
    return _summary(code)


@bp.post("/dossiers/<code>/result/retry")
@login_required(*OFFICER_ROLES)
@operation("A result the job gave up on (`failed`) taken up again by a leader of the competent unit, once the cause "
           "is mended: back to the step it failed at (rendering, awaiting_leader or leader_signed), which is "
           "tried at once.", tag="results",
           responses={200: schemas.ResultOut(), 403: "not a leader of the competent unit", 404: "unknown dossier",
                      409: "the result has not failed"})
def retry_result(code: str) -> Response:
    request_uow().session.rollback()
    retry_now(services().uow, current_actor(), code, SigningSettings.from_env())
    return _summary(code)


@bp.post("/signing/callback")
@operation("The remote signing service's webhook (HMAC-SHA256 of the body in X-Signature, key "
           "MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET). It only makes Motcua ask the service about the transaction.",
           tag="results", public=True, responses={200: schemas.WebhookOut(), 400: "not JSON",
                                                 401: "the HMAC does not match (or no key is set)",
                                                 413: "the body is too large"})
def signing_callback() -> Response:
    if (request.content_length or 0) > MAX_WEBHOOK:
        return problem(413, "request-entity-too-large", "Request entity too large", "the webhook is too large")
    raw = request.get_data(cache=False)[:MAX_WEBHOOK + 1]
    verified_webhook(raw, request.headers)
    body = load_json(raw or b"null")
    tx = body.get("transaction_id") if isinstance(body, dict) else None
    if not isinstance(tx, str) or not tx:
        raise BadRequest("the webhook names no transaction_id")
    remote, settings = remote_signing(), SigningSettings.from_env()
    polled = poll(services().uow, remote, settings, tx)
    finish_signed(services().uow, settings)
    return respond(schemas.WebhookOut, {"polled": polled})
