"""The lifecycle actions the law defines for every procedure: who may take each, and from which status.

This table is the whole state machine; `lifecycle.py` carries the actions out.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.people.actors import Actor

from .models import Dossier

OPEN_STATUSES = frozenset({"received", "processing"})  # human steps can be completed
PAUSED_STATUSES = frozenset({"supplement_requested", "payment_required"})  # the clock does not run


@dataclass(frozen=True)
class ActionRule:
    roles: frozenset[str]
    from_statuses: frozenset[str]
    to_status: str


def _rule(roles: set[str], from_statuses: set[str], to_status: str) -> ActionRule:
    return ActionRule(frozenset(roles), frozenset(from_statuses), to_status)


ACTIONS: dict[str, ActionRule] = {
    "receive": _rule({"reception"}, {"registered"}, "received"),
    "refuse": _rule({"reception"}, {"registered"}, "refused"),
    "request_supplement": _rule({"reception", "specialist"}, {"received", "processing"}, "supplement_requested"),
    "supplement_received": _rule({"reception"}, {"supplement_requested"}, "<resume>"),
    # what the applicant sent (online or at the counter) is still not enough: a new request, still paused
    "request_supplement_again": _rule({"reception"}, {"supplement_requested"}, "supplement_requested"),
    "require_payment": _rule({"reception", "specialist"}, {"received", "processing", "processed"},
                             "payment_required"),
    # also when the result is collected: the citizen pays at the counter then
    "record_payment": _rule({"reception"}, {"payment_required", "processed"}, "<resume>"),
    "stop": _rule({"leader"}, {"received", "processing", "supplement_requested", "payment_required"}, "stopped"),
    "withdraw": _rule({"reception"}, {"registered", "received", "processing", "supplement_requested",
                                      "payment_required"}, "withdrawal_requested"),
    "return_result": _rule({"reception"}, {"processed"}, "returned"),  # not while a fee is owed
    # a leader waives the fee owed (with the reason): the result may then be returned unpaid
    "exempt_fee": _rule({"leader"}, {"received", "processing", "supplement_requested", "payment_required",
                                     "processed"}, "<same>"),
}
FEE_ACTIONS = frozenset({"record_payment", "exempt_fee"})


def allowed_actions(status: str, actor: Actor | None = None) -> list[str]:
    """Actions possible from this status; with an actor, only those the actor's roles may take."""
    return [name for name, rule in ACTIONS.items()
            if status in rule.from_statuses and (actor is None or actor.roles & rule.roles)]


def fee_owed(dossier: Dossier) -> bool:
    """A fee is due and neither paid nor waived: the result cannot be returned yet."""
    return (dossier.fee_amount or 0) > 0 and dossier.paid_at is None and dossier.fee_exempted_at is None


def available_actions(dossier: Dossier, actor: Actor | None = None) -> list[str]:
    """`allowed_actions`, less the fee actions that have nothing to act on: recording a payment or waiving
    the fee when none is owed (a payment asked for with `require_payment` can always be recorded)."""
    owed = fee_owed(dossier)
    return [a for a in allowed_actions(dossier.status, actor)
            if a not in FEE_ACTIONS or owed or (a == "record_payment" and dossier.status == "payment_required")]
