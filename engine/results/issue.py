"""The steps that end with the result issued: the draft rendered (-> awaiting_leader), the leader's signed PDF
kept (-> leader_signed), the unit's seal added (-> issued). Every external call (the renderer's child, the TSA,
OCSP) is made with no transaction open; each state change is one short unit of work, made only when the row is
still where the step found it (a second scheduler or a double click changes nothing twice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.people.models import Unit
from engine.rendering.service import render_result
from engine.rendering.store import store_document
from engine.signing.config import SigningSettings
from engine.signing.pades import seal
from engine.signing.renewal import timestamp_expiry
from engine.store.uow import UnitOfWork

from .models import AWAITING, FAILED, ISSUED, RENDERING, SIGNED, ResultDocument

OpenUow = Callable[[], UnitOfWork]
REASON = "Phê duyệt kết quả giải quyết TTHC"
SEAL_REASON = "Ban hành kết quả giải quyết TTHC"
MAX_ERROR = 500
MAX_ATTEMPTS = 10  # failures in a row before a row is given up as `failed`


def locked(uow: UnitOfWork, row_id: int) -> ResultDocument | None:
    return uow.session.scalars(select(ResultDocument).where(ResultDocument.id == row_id).with_for_update()).first()


def place(uow: UnitOfWork, dossier: Dossier) -> str:
    unit = uow.session.get(Unit, dossier.competent_unit) if dossier.competent_unit else None
    return unit.name if unit is not None else (dossier.competent_unit or "")


def failed(open_uow: OpenUow, row_id: int, state: str, error: str) -> None:
    """The attempt failed: the state and the message kept, tried again by the job (later after each failure);
    after MAX_ATTEMPTS in a row the row is `failed` (audited `result_failed`) for a person to look at."""
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != state:
            return
        row.error, row.attempts, row.updated_at = error[:MAX_ERROR], row.attempts + 1, uow.clock()
        if row.attempts >= MAX_ATTEMPTS:
            row.state = FAILED
            dossier = uow.session.get(Dossier, row.dossier_id)
            uow.record(None, "result_failed", "result", dossier.code if dossier else None, dossier_id=row.dossier_id,
                       before={"state": state}, after={"state": FAILED}, detail={"error": row.error})
            uow.commit()
            return
        uow.session.commit()


def render_draft(open_uow: OpenUow, row_id: int) -> bool:
    """rendering -> awaiting_leader: the result's PDF from the procedure's template, with its number (Part R's
    render_result: context read, rendered outside any transaction, stored and audited `result_rendered`)."""
    with open_uow() as uow:
        row = uow.session.get(ResultDocument, row_id)
        if row is None or row.state != RENDERING:
            return False
        dossier = uow.session.get(Dossier, row.dossier_id)
        assert dossier is not None
        code, number = dossier.code, row.number
    try:
        doc = render_result(open_uow, code, None, number=number)
    except Exception as exc:  # RenderFailed (a bad template, a limit): kept for the officer, tried again
        failed(open_uow, row_id, RENDERING, getattr(exc, "detail", None) or type(exc).__name__)
        return False
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != RENDERING:
            return False
        row.state, row.draft_id, row.error, row.attempts, row.updated_at = AWAITING, doc.id, None, 0, uow.clock()
        uow.record(None, "result_ready", "result", code, dossier_id=row.dossier_id, before={"state": RENDERING},
                   after={"state": AWAITING}, detail={"sha256": doc.sha256, "number": row.number})
        uow.commit()
    return True


def keep_leader_signed(uow: UnitOfWork, row: ResultDocument, pdf: bytes, leader_id: int | None,
                       detail: dict[str, Any]) -> None:
    """The leader's signed PDF stored, the row leader_signed (the caller has locked it and commits)."""
    doc = store_document(uow, row.dossier_id, "result-leader-signed", pdf, leader_id)
    before = row.state
    row.state, row.signed_id, row.leader_id, row.error, row.attempts = SIGNED, doc.id, leader_id, None, 0
    row.remote_state, row.updated_at = None, uow.clock()
    dossier = uow.session.get(Dossier, row.dossier_id)
    uow.record(None, "result_leader_signed", "result", dossier.code if dossier else None, dossier_id=row.dossier_id,
               unit=dossier.competent_unit if dossier else None, before={"state": before},
               after={"state": SIGNED}, detail={**detail, "sha256": doc.sha256})
    uow.pending_audit[-1]["actor_id"] = leader_id


def seal_and_issue(open_uow: OpenUow, row_id: int, settings: SigningSettings) -> bool:
    """leader_signed -> issued: the unit's seal (PAdES-B-LTA) over the leader's signed PDF."""
    from .service import document

    with open_uow() as uow:
        row = uow.session.get(ResultDocument, row_id)
        if row is None or row.state != SIGNED:
            return False
        found = document(uow, row.signed_id)
        dossier = uow.session.get(Dossier, row.dossier_id)
        assert found is not None and dossier is not None
        location, signed_id = place(uow, dossier), row.signed_id
    try:
        sealed = seal(found[1], settings, reason=SEAL_REASON, location=location)
    except Exception as exc:  # the TSA or OCSP away, the unit's key missing: tried again
        failed(open_uow, row_id, SIGNED, f"Chưa đóng dấu số được của đơn vị: {type(exc).__name__}")
        return False
    until = timestamp_expiry(sealed)  # read before the transaction: parsing the PDF is not instant
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != SIGNED or row.signed_id != signed_id:
            return False
        doc = store_document(uow, row.dossier_id, "result-signed", sealed, None)
        now = uow.clock()  # one instant: updated_at == issued_at says "not renewed since" (renewal.py)
        row.state, row.signed_id, row.issued_at, row.updated_at = ISSUED, doc.id, now, now
        row.error, row.attempts, row.timestamp_until = None, 0, until
        dossier = uow.session.get(Dossier, row.dossier_id)
        uow.record(None, "result_issued", "result", dossier.code if dossier else None, dossier_id=row.dossier_id,
                   unit=dossier.competent_unit if dossier else None, before={"state": SIGNED},
                   after={"state": ISSUED}, detail={"sha256": doc.sha256, "number": row.number})
        uow.commit()
    return True


def render_requested(open_uow: OpenUow, dossier_code: str) -> bool:
    """Right after the approval commits (the API's and the page's completion call it): the draft at once, so the
    leader need not wait for the job's next run. False when there was nothing to render or it failed."""
    with open_uow() as uow:
        row_id = uow.session.scalar(select(ResultDocument.id).join(Dossier, Dossier.id == ResultDocument.dossier_id)
                                    .where(Dossier.code == dossier_code[:40], ResultDocument.state == RENDERING))
    return row_id is not None and render_draft(open_uow, row_id)
