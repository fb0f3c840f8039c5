"""The payment platform's callback: a machine caller with no session and no CSRF, let in by the checksum the
platform signs with the shared key (MOTCUA_PAYMENT_SECRET). Unsigned or tampered: 401; another dossier or
amount: 400; a replay: 409; each with nothing changed. A duplicate or late callback answers 200, changing
nothing."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request

from engine.payments.service import settle

from ..operations import load_json, operation, respond
from ..payments import verified_outcome
from ..problems import problem
from ..schemas import payments as schemas
from ..services import request_uow, services

bp = Blueprint("payments", __name__)
MAX_BYTES = 64 * 1024


@bp.post("/payments/callback")
@operation("The national payment platform posts a transaction's outcome here (its checksum verified with "
           "MOTCUA_PAYMENT_SECRET). A paid transaction records the dossier's online payment (a dossier waiting "
           "for it resumes) and keeps the electronic receipt. Idempotent: the same outcome again changes nothing.",
           tag="payments", public=True, responses={
               200: schemas.CallbackOut(), 400: "not JSON, or another dossier or amount than the transaction",
               401: "the checksum does not match (or no key is set)", 404: "no such transaction",
               409: "a replay: signed too long ago, or contradicting a settled transaction",
               413: "the body is too large"})
def callback() -> Response:
    if (request.content_length or 0) > MAX_BYTES:
        return problem(413, "request-entity-too-large", "Request entity too large", "the callback is too large")
    outcome = verified_outcome(load_json(request.get_data() or b"null"))
    window = timedelta(seconds=services().settings.payment_callback_window)
    done = settle(request_uow(), outcome, "callback", window)
    return respond(schemas.CallbackOut, {"error_code": 0, "tracking_code": done.tracking_code, "state": done.state,
                                         "changed": done.changed})
