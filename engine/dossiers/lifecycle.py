"""Carrying out the lifecycle actions (see `actions.py` for who may take which, from which status).

They work the same on every procedure: a pause suspends the workflow where it stands, since it is only
the dossier's status and its task rows that change; resuming moves every due time by the working time
spent paused, so paused time never counts against the officers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.people.actors import Actor
from engine.procedures.escalation_rules import next_escalation, rules_for
from engine.store.uow import UnitOfWork
from engine.time.deadlines import paused_time, shift, shift_appointment

from .actions import ACTIONS, PAUSED_STATUSES, available_actions, fee_owed
from .models import Dossier, TaskRecord
from .projection import CANCELLED, OPEN, SUSPENDED
from .service import find_dossier, receive, resolve_escalations
from .supplements import decide, new_request

Handler = Callable[[UnitOfWork, Dossier, Actor, datetime, dict[str, Any]], dict[str, Any]]


class FeeUnpaid(Conflict):
    """The result cannot be returned: a fee is owed, neither paid nor waived by a leader."""

    title = "Fee unpaid"
    code = "fee-unpaid"


def perform(uow: UnitOfWork, actor: Actor, code: str, action: str, params: dict[str, Any]) -> Dossier:
    """Take one action on a dossier, in one transaction; a forbidden transition is a 409 listing what is
    allowed now."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise NotFound(f"unknown action '{action}'")
    dossier = find_dossier(uow.session, actor, code)
    units = (dossier.reception_unit, dossier.competent_unit)
    # the role before the status: who may not act gets 403 whatever the status, not a 409 listing the actions
    if not any(actor.has_role(role, unit) for role in rule.roles for unit in units):
        raise Forbidden(f"'{action}' needs one of the roles {', '.join(sorted(rule.roles))} in the dossier's unit")
    if dossier.status not in rule.from_statuses:
        raise Conflict(f"'{action}' is not possible while the dossier is {dossier.status}",
                       dossier_status=dossier.status, allowed_actions=available_actions(dossier, actor))
    now = uow.clock()
    before = dossier.status
    detail = HANDLERS[action](uow, dossier, actor, now, params)
    dossier.updated_at = now
    uow.record(actor, action, "dossier", dossier.code, unit=_acting_unit(actor, dossier), dossier_id=dossier.id,
               before={"status": before}, after={"status": dossier.status}, detail=detail)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("the dossier was changed by someone else; reload and try again") from None
    return dossier


def _acting_unit(actor: Actor, dossier: Dossier) -> str | None:
    units = actor.units
    return next((u for u in (dossier.reception_unit, dossier.competent_unit) if u in units), actor.unit_code)


def _tasks(session: Session, dossier: Dossier, state: str) -> list[TaskRecord]:
    return list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                         TaskRecord.state == state)))


def _required_text(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"'{key}' is required", {key: ["Missing data for required field."]})
    return value.strip()


def _required_list(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationFailed(f"'{key}' must list at least one item", {key: ["A non-empty list is required."]})
    return [v.strip() for v in value]


def _receive(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
             ) -> dict[str, Any]:
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    received = params.get("documents")
    if received is not None:  # the officer ticked the documents handed in: all required ones must be there,
        # counting those already handed in at the counter (a dossier that got the written guidance comes back)
        have = set(received) | {d.get("code") for d in dossier.received_documents or []}
        missing = [d["code"] for d in compiled.meta["documents"] if d["required"] and d["code"] not in have]
        if missing:
            raise ValidationFailed("required documents are missing; refuse with guidance or request them",
                                   {"documents": [f"Missing: {', '.join(missing)}."]})
    dossier.handler_id = dossier.handler_id or actor.user_id
    if received:  # the papers ticked, as the procedure lists them, after those recorded at the counter
        earlier = list(dossier.received_documents or [])
        known = {d.get("code") for d in earlier}
        dossier.received_documents = earlier + [
            {"code": d["code"], "name": d["name"],
             "kind": d.get("kind") or ("original" if d.get("original") else "copy"), "quantity": d.get("copies") or 1}
            for d in compiled.meta["documents"] if d["code"] in received and d["code"] not in known]
    receive(uow.session, uow, dossier, compiled, actor, now, {"documents": received} if received else {})
    return {"due_at": dossier.due_at.isoformat() if dossier.due_at else None}


def _refuse(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
            ) -> dict[str, Any]:
    reasons = _required_list(params, "reasons")
    dossier.status, dossier.finished_at = "refused", now
    return {"reasons": reasons}


def _pause(uow: UnitOfWork, dossier: Dossier, now: datetime, status: str) -> None:
    dossier.resume_status, dossier.status, dossier.paused_at = dossier.status, status, now
    for task in _tasks(uow.session, dossier, OPEN):
        task.state = SUSPENDED


def _resume(uow: UnitOfWork, dossier: Dossier, now: datetime) -> timedelta:
    """Back to the status before the pause; due times of the dossier and its steps move by the pause."""
    calendar = uow.calendar
    paused = paused_time(calendar, dossier.paused_at, now) if dossier.paused_at else timedelta(0)
    if dossier.finished_at is None:  # after processing, paused time no longer moves anything
        compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
        dossier.due_at = shift_appointment(calendar, compiled.meta, dossier.due_at, paused, dossier.channel)
        dossier.apology_at = shift(calendar, dossier.apology_at, paused)
        for task in _tasks(uow.session, dossier, SUSPENDED):
            task.state, task.due_at = OPEN, shift(calendar, task.due_at, paused)
            step = compiled.steps.get(task.bpmn_id)
            rules = rules_for(compiled.meta, task.bpmn_id, step.properties if step else None)
            _level, task.next_escalation_at = next_escalation(
                calendar, rules, task.escalation_level, task.due_at, step.time_budget if step else None)
    dossier.paused_seconds = (dossier.paused_seconds or 0) + int(paused.total_seconds())
    dossier.status, dossier.resume_status, dossier.paused_at = dossier.resume_status or "processing", None, None
    return paused


def _request_supplement(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
                        ) -> dict[str, Any]:
    """What is missing: documents of the procedure's list (`documents`, codes) and/or in words (`missing`)."""
    detail = new_request(uow, dossier, actor, params, now)
    _pause(uow, dossier, now, "supplement_requested")
    dossier.supplement_count = (dossier.supplement_count or 0) + 1
    return {**detail, "count": dossier.supplement_count}


def _request_supplement_again(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime,
                              params: dict[str, Any]) -> dict[str, Any]:
    """The answer is not enough: the request is closed as asked again and a new one is made. It counts as another
    supplement request (the national index counts a dossier supplemented more than once as late)."""
    previous = decide(uow.session, dossier, "asked_again", actor, now)
    detail = new_request(uow, dossier, actor, params, now)
    dossier.supplement_count = (dossier.supplement_count or 0) + 1
    return {**detail, "previous_round": previous, "count": dossier.supplement_count}


def _supplement_received(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime,
                         params: dict[str, Any]) -> dict[str, Any]:
    accepted = decide(uow.session, dossier, "accepted", actor, now)
    paused = _resume(uow, dossier, now)
    return {"paused_seconds": int(paused.total_seconds()), "due_at": dossier.due_at.isoformat()
            if dossier.due_at else None, "note": params.get("note", ""), "round": accepted}


def _require_payment(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
                     ) -> dict[str, Any]:
    amount = params.get("amount", dossier.fee_amount)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed("a positive amount is required", {"amount": ["A positive whole number of VND."]})
    _pause(uow, dossier, now, "payment_required")
    dossier.fee_amount, dossier.payment_required_at = amount, now
    return {"amount": amount, "note": params.get("note", "")}


def _record_payment(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
                    ) -> dict[str, Any]:
    online = params.get("online")
    if not isinstance(online, bool):
        raise ValidationFailed("say whether the payment was made online", {"online": ["true or false."]})
    if online:  # only the platform's verified outcome records an online payment (engine/payments)
        raise ValidationFailed("an online payment is recorded by the payment platform, not by hand; record "
                               "counter payments only", {"online": ["Only false: a payment made at the counter."]})
    if dossier.status != "payment_required" and not fee_owed(dossier):  # paid when the result is collected
        raise Conflict("no fee is owed on this dossier", dossier_status=dossier.status,
                       allowed_actions=available_actions(dossier, actor))
    dossier.paid_at, dossier.paid_online = now, online
    paused = _resume(uow, dossier, now) if dossier.status in PAUSED_STATUSES else timedelta(0)
    return {"online": online, "receipt": params.get("receipt", ""), "amount": dossier.fee_amount,
            "paused_seconds": int(paused.total_seconds())}


def record_online_payment(uow: UnitOfWork, dossier: Dossier, now: datetime, detail: dict[str, Any]) -> None:
    """The payment platform's verified outcome (engine/payments): the change `record_payment` makes with online
    true, taken by the system and audited as that action (so the portal sync reports it); a dossier waiting for
    the payment resumes, one paid at submission carries on as it was."""
    before = dossier.status
    dossier.paid_at, dossier.paid_online = now, True
    paused = _resume(uow, dossier, now) if dossier.status == "payment_required" else timedelta(0)
    dossier.updated_at = now
    uow.record(None, "record_payment", "dossier", dossier.code, unit=dossier.reception_unit, dossier_id=dossier.id,
               before={"status": before}, after={"status": dossier.status},
               detail={"online": True, "amount": dossier.fee_amount, "paused_seconds": int(paused.total_seconds()),
                       **detail})


def _exempt_fee(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
                ) -> dict[str, Any]:
    """A leader waives the fee owed, saying why; a dossier waiting for the payment resumes."""
    reason = _required_text(params, "reason")
    if not fee_owed(dossier):
        raise Conflict("no fee is owed on this dossier", dossier_status=dossier.status,
                       allowed_actions=available_actions(dossier, actor))
    dossier.fee_exempted_at, dossier.fee_exempted_by, dossier.fee_exemption_reason = now, actor.user_id, reason
    paused = _resume(uow, dossier, now) if dossier.status == "payment_required" else timedelta(0)
    return {"reason": reason, "amount": dossier.fee_amount, "paused_seconds": int(paused.total_seconds())}


def _end(uow: UnitOfWork, dossier: Dossier, now: datetime, status: str) -> None:
    decide(uow.session, dossier, "closed", None, now)
    if dossier.status in PAUSED_STATUSES:
        _resume(uow, dossier, now)
    dossier.status, dossier.finished_at = status, now
    dossier.apology_at = dossier.next_timer_at = None
    resolve_escalations(uow.session, dossier.id, None, now)
    for state in (OPEN, SUSPENDED):
        for task in _tasks(uow.session, dossier, state):
            task.state, task.completed_at = CANCELLED, now


def _stop(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
          ) -> dict[str, Any]:
    reason = _required_text(params, "reason")
    _end(uow, dossier, now, "stopped")
    return {"reason": reason}


def _withdraw(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
              ) -> dict[str, Any]:
    reason = _required_text(params, "reason")
    _end(uow, dossier, now, "withdrawal_requested")
    return {"reason": reason}


def _return_result(uow: UnitOfWork, dossier: Dossier, actor: Actor, now: datetime, params: dict[str, Any]
                   ) -> dict[str, Any]:
    if fee_owed(dossier):
        raise FeeUnpaid(f"the fee of {dossier.fee_amount} VND is not paid: record the payment, or a leader "
                        "records an exemption, before the result is returned", fee_amount=dossier.fee_amount,
                        dossier_status=dossier.status, allowed_actions=available_actions(dossier, actor))
    dossier.status, dossier.returned_at = "returned", now
    return {"recipient": params.get("recipient", ""), "note": params.get("note", "")}


HANDLERS: dict[str, Handler] = {
    "receive": _receive,
    "refuse": _refuse,
    "request_supplement": _request_supplement,
    "supplement_received": _supplement_received,
    "request_supplement_again": _request_supplement_again,
    "require_payment": _require_payment,
    "record_payment": _record_payment,
    "stop": _stop,
    "withdraw": _withdraw,
    "return_result": _return_result,
    "exempt_fee": _exempt_fee,
}
assert set(HANDLERS) == set(ACTIONS), "every action in the table needs a handler"
