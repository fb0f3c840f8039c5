"""The result is asked for when the leader's approval step (procedure.toml `[result] sign_step`) completes and its
condition (`approved_when`, run by the procedure sandbox over the step's data) holds: one row per dossier, numbered
"<n>/<number_symbol>" from a per-unit, per-year sequence, in the SAME transaction as the step's completion, audited
`result_requested`. Nothing external happens here: the scheduler's `results` job renders the draft.

`ResultRequests` is a unit-of-work observer (as the portal sync is): it sees the transaction's `task_completed`
entries (step id and the step's data) before the commit, so the dossiers area, below this one, knows nothing of
results."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.dossiers.models import CodeSequence, Dossier
from engine.procedures.sandbox import SandboxEnvironment
from engine.store.uow import UnitOfWork
from engine.time.clock import LOCAL_TZ

from .models import ISSUED, RENDERING, ResultDocument

log = logging.getLogger(__name__)
DEFAULT_SYMBOL = "KQ"


def approved(uow: UnitOfWork, condition: str | None, data: dict[str, Any]) -> bool:
    """The condition over the step's data, in the sandbox; one that fails to run is "not approved" (logged)."""
    if not condition:
        return True
    environment = uow.scripts.environment if uow.scripts is not None else SandboxEnvironment()
    try:
        return bool(environment.evaluate(condition, dict(data)))
    except Exception as exc:  # a name the step did not set, a sandbox limit: no result is asked for
        log.warning("result condition %r did not run: %s", condition, exc)
        return False


def next_number(uow: UnitOfWork, unit: str, symbol: str) -> str:
    year = uow.clock().astimezone(LOCAL_TZ).year
    scope = f"result:{unit}:{year}"[:64]
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CodeSequence).values(scope=scope, value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[CodeSequence.scope],
                                      set_={"value": CodeSequence.value + 1}).returning(CodeSequence.value)
    return f"{uow.session.execute(stmt).scalar_one()}/{symbol}"


def request_result(uow: UnitOfWork, actor_id: int | None, dossier: Dossier, meta: dict[str, Any], bpmn_id: str,
                   data: dict[str, Any]) -> ResultDocument | None:
    """Called by complete_task before it commits. The row (state rendering), or None when this step asks for none."""
    terms = meta.get("result") or {}
    if not terms.get("sign_step") or terms["sign_step"] != bpmn_id or not approved(uow, terms.get("approved_when"),
                                                                                   data):
        return None
    now = uow.clock()
    row = uow.session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)).first()
    if row is not None and row.state == ISSUED:
        return row
    if row is None:
        unit = dossier.competent_unit or dossier.reception_unit or uow.code_prefix
        row = ResultDocument(dossier_id=dossier.id, number=next_number(uow, unit, terms.get("number_symbol")
                                                                       or DEFAULT_SYMBOL), attempts=0,
                             created_at=now)
        uow.session.add(row)
    row.state, row.draft_id, row.error, row.updated_at = RENDERING, None, None, now
    row.remote_transaction = row.remote_state = row.remote_requested_at = None
    uow.record(None, "result_requested", "result", dossier.code, unit=dossier.competent_unit,
               dossier_id=dossier.id, after={"state": RENDERING, "number": row.number})
    uow.pending_audit[-1]["actor_id"] = actor_id  # the leader whose approval asked for it
    return row


class ResultRequests:
    """The unit-of-work observer (engine/runtime.py adds it): a completed sign step asks for the result."""

    def __call__(self, uow: UnitOfWork, entries: list[dict[str, Any]]) -> None:
        for entry in list(entries):
            detail = entry.get("detail") or {}
            if entry["action"] != "task_completed" or entry.get("dossier_id") is None or not detail.get("bpmn_id"):
                continue
            dossier = uow.session.get(Dossier, entry["dossier_id"])
            if dossier is None:
                continue
            meta = uow.cache.get(uow.session, dossier.procedure_version_id).meta
            if (meta.get("result") or {}).get("sign_step") == detail["bpmn_id"]:
                request_result(uow, entry.get("actor_id"), dossier, meta, detail["bpmn_id"], detail.get("data") or {})
