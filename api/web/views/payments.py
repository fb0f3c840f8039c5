"""The citizen pays a dossier's fee online: `/payments/start` (the pay button's target: the dossier code with its
PIN, or a signed-in citizen who owns the dossier, shared contract 2) sends them to the payment platform;
`/payments/return` is where the platform sends them back, showing the transaction as Motcua knows it (paid only
once the platform's signed callback or the reconciliation said so). Routes of the portal's blueprint (CSRF)."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, session
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.dossiers.models import Dossier
from engine.dossiers.tracking import TooManyAttempts, authorised
from engine.errors import Conflict, NotFound
from engine.payments.service import PaymentUnavailable, find, owes, start_payment
from engine.store.uow import UnitOfWork

from ...clients import client_address
from ...payments import platform_create
from ...services import request_uow
from .portal import allow_pay_form, bp


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return allow_pay_form(response)


def _owning_citizen(uow: UnitOfWork, code: str) -> Dossier | None:
    """The dossier, when the signed-in citizen (session["citizen"], shared contract 2) owns it."""
    citizen = session.get("citizen")
    if not isinstance(citizen, dict) or not citizen.get("key"):
        return None
    dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or dossier.applicant_key != citizen["key"] \
            or dossier.applicant_kind != (citizen.get("kind") or "person"):
        return None
    return dossier


@bp.route("/payments/start", methods=["GET", "POST"])
def payment_start() -> Response:
    code = (request.values.get("code") or "").strip()[:40]
    uow = request_uow()
    dossier = _owning_citizen(uow, code) if code else None
    if request.method == "GET" or (dossier is None and not request.form.get("pin")):
        return _page("portal/payment_start.html", code=code, owner=dossier is not None)
    if dossier is None:
        try:
            dossier = authorised(uow, code, request.form.get("pin", "").strip()[:20], client_address())
        except NotFound:
            return _page("portal/payment_start.html", 404, code=code, problem="not-found")
        except TooManyAttempts:
            return _page("portal/payment_start.html", 429, code=code, problem="too-many")
    create = platform_create()
    if create is None:
        return _page("portal/payment_start.html", 409, code=code, problem="not-offered")
    if not owes(dossier):
        return _page("portal/payment_start.html", 409, code=code, problem="not-owed")
    try:
        row = start_payment(uow, dossier, create)
    except PaymentUnavailable:
        return _page("portal/payment_start.html", 409, code=code, problem="unavailable")
    except Conflict:
        return _page("portal/payment_start.html", 409, code=code, problem="busy")
    assert row.pay_url
    return redirect(row.pay_url, 303)


@bp.get("/payments/return")
def payment_return() -> Response:
    """What Motcua knows of the transaction; the query's state (TrangThai) is the platform's word, unsigned,
    so it is never believed: only the callback or the reconciliation settles the payment."""
    tracking = (request.args.get("MaTraCuuTT") or request.args.get("tracking") or "").strip()[:64]
    uow = request_uow()
    row = find(uow, tracking) if tracking else None
    if row is None:  # a landing page: the citizen reads that it is unknown, with the way to tracking
        return _page("portal/payment_return.html", row=None, code="")
    dossier = uow.session.get(Dossier, row.dossier_id)
    return _page("portal/payment_return.html", row=row, code=dossier.code if dossier else "")
