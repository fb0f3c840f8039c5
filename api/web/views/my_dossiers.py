""""Hồ sơ của tôi": the signed-in citizen's own dossiers, across channels and units, newest first, and each as the
PIN tracking page shows it, without a PIN. Another person's dossier is not found (404)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.dossiers.mine import owned_dossiers, owned_view
from engine.errors import NotFound
from engine.verification.issued import NoIssuedResult, by_owner

from ...payments import payment_summary
from ...services import request_uow
from ..citizen import current_citizen
from .citizen_auth import bp, no_store
from .portal import allow_pay_form
from .result_access import pdf_response, result_url


@bp.get("/my-dossiers")
def my_dossiers() -> Response:
    citizen = current_citizen()
    if citizen is None:
        return redirect(url_for("citizen_pages.login", next=request.full_path.rstrip("?")), 303)
    found = owned_dossiers(request_uow(), citizen["kind"], citizen["key"])
    return no_store(render_template("portal/my_dossiers.html", dossiers=found))


@bp.get("/my-dossiers/<code>")
def my_dossier(code: str) -> Response:
    citizen = current_citizen()
    if citizen is None:
        return redirect(url_for("citizen_pages.login", next=request.full_path.rstrip("?")), 303)
    try:
        view = owned_view(request_uow(), citizen["kind"], citizen["key"], code)
    except NotFound:
        return no_store(render_template("portal/my_dossiers.html", dossiers=None, missing=code[:40]), 404)
    payment = payment_summary(request_uow(), view.dossier)  # the fee and its online payment, as tracking shows
    response = no_store(render_template("portal/track.html", code=view.dossier.code, view=view, pin="", owned=True,
                                        problem=None, rated=False, rating_errors={}, comment="", wait_minutes=None,
                                        upload={"errors": {}, "note": ""}, payment=payment,
                                        result_url=result_url(view.dossier, "citizen_pages.my_result")))
    return allow_pay_form(response) if payment and payment["online"] and payment["owed"] else response


@bp.get("/my-dossiers/<code>/result")
def my_result(code: str) -> Response:
    """The signed result of the citizen's own dossier; another person's, or none issued: 404."""
    citizen = current_citizen()
    if citizen is None:
        return redirect(url_for("citizen_pages.login", next=request.full_path.rstrip("?")), 303)
    try:
        return pdf_response(by_owner(request_uow(), citizen["kind"], citizen["key"], code))
    except NoIssuedResult:
        raise NotFound("the dossier has no electronic result") from None
