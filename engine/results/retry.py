"""A result the job gave up on (`failed`, after MAX_ATTEMPTS failures in a row) is taken up again by a leader of
the competent unit once the cause is mended (a template fixed, the TSA back): it goes back to the step it failed
at, with its count of attempts reset, and the job (or the caller at once) carries on from there."""

from __future__ import annotations

from engine.errors import Conflict
from engine.people.actors import Actor
from engine.signing.config import SigningSettings

from .issue import OpenUow, locked, render_requested
from .job import finish_signed
from .models import AWAITING, FAILED, RENDERING, SIGNED, ResultDocument
from .service import check_leader, result_of


def resumed_state(row: ResultDocument) -> str:
    """Where a failed row starts again: sealing when the leader's signature is in; the leader's signature when
    the draft is there (a remote request that could not be finished is asked again); else rendering."""
    return SIGNED if row.signed_id else AWAITING if row.draft_id else RENDERING


def retry_failed(open_uow: OpenUow, actor: Actor, code: str) -> str:
    """failed -> the state it failed in; audited `result_retried`. Returns that state."""
    with open_uow() as uow:
        dossier, found = result_of(uow, actor, code)
        check_leader(actor, dossier)
        row = locked(uow, found.id) if found is not None else None
        if row is None or row.state != FAILED:
            raise Conflict("only a result that failed is taken up again", reason="not-failed",
                           state=row.state if row else None)
        state, error = resumed_state(row), row.error
        row.state, row.attempts, row.error, row.updated_at = state, 0, None, uow.clock()
        row.remote_transaction = row.remote_state = None
        uow.record(actor, "result_retried", "result", dossier.code, unit=dossier.competent_unit,
                   dossier_id=row.dossier_id, before={"state": FAILED}, after={"state": state},
                   detail={"error": error})
        uow.commit()
    return state


def retry_now(open_uow: OpenUow, actor: Actor, code: str, settings: SigningSettings) -> None:
    """retry_failed, then the step it went back to tried at once (no transaction open: renderer, TSA, OCSP); a
    leader's signature is asked again by the leader. A new failure is kept on the row for the job."""
    state = retry_failed(open_uow, actor, code)
    if state == RENDERING:
        render_requested(open_uow, code)
    elif state == SIGNED:
        finish_signed(open_uow, settings)
