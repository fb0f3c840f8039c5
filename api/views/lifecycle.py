from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, g, request

from engine.dossiers.actions import ACTIONS
from engine.dossiers.documents import KINDS, DocumentRequest, render_document
from engine.dossiers.lifecycle import perform
from engine.dossiers.service import get_dossier
from engine.errors import ValidationFailed

from .. import schemas
from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..services import public_url, request_uow, services

bp = Blueprint("lifecycle", __name__)
ACTION_DOC = "; ".join(f"`{name}` ({', '.join(sorted(rule.roles))}; from {', '.join(sorted(rule.from_statuses))})"
                       for name, rule in ACTIONS.items())


@bp.post("/dossiers/<code>/actions/<action>")
@login_required()
@operation(f"Take a lifecycle action on a dossier: {ACTION_DOC}. `refuse` needs `reasons`, "
           "`request_supplement` needs `missing`, `stop`, `withdraw` and `exempt_fee` need `reason`, `record_payment` "
           "needs `online`. A supplement request or a payment request pauses the clock; resuming moves every due "
           "time by the paused working time. `return_result` is refused while a fee is owed (neither paid nor "
           "waived by a leader with `exempt_fee`): 409 with `code: fee-unpaid`.", tag="lifecycle",
           body=schemas.ActionIn(),
           responses={200: schemas.DossierOut(), 403: "not your role", 404: "unknown dossier or action",
                      409: "not allowed in the current status (`allowed_actions` lists what is), or "
                           "`fee-unpaid`: the result waits for the fee or a leader's exemption"})
def act(code: str, action: str):  # type: ignore[no-untyped-def]
    uow, actor = request_uow(), current_actor()
    perform(uow, actor, code, action, g.body)
    return respond(schemas.DossierOut, get_dossier(uow, actor, code))


@bp.get("/dossiers/<code>/documents/<kind>")
@login_required()
@operation(f"A printable official document as HTML: {', '.join(f'{k} ({n})' for k, (n, _) in KINDS.items())}. "
           "For `apology`, `new_date` (YYYY-MM-DD) and `reason` may be given; for `receipt`, the `pin` "
           "returned by the submission, to print it.", tag="documents",
           responses={200: ("text/html", "the document"), 404: "unknown dossier or document"})
def document(code: str, kind: str):  # type: ignore[no-untyped-def]
    new_date = request.args.get("new_date")
    try:
        new_due = datetime.fromisoformat(f"{new_date}T17:00:00+07:00") if new_date else None
    except ValueError:
        raise ValidationFailed("bad date", {"new_date": ["Use YYYY-MM-DD."]}) from None
    pin = request.args.get("pin")
    req = DocumentRequest(kind=kind, new_due_at=new_due, apology_reason=request.args.get("reason", "")[:1000],
                          pin=pin if pin and pin.isdigit() and len(pin) <= 10 else None,
                          tracking_url=f"{public_url()}/track?code={code}")  # the portal page
    html = render_document(request_uow(), services().documents, current_actor(), code, req)
    return Response(html, mimetype="text/html")
