"""The lifecycle actions the law defines for every procedure: who may take each, and from which status.

This table is the whole state machine; `lifecycle.py` carries the actions out.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.people.actors import Actor

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
    "record_payment": _rule({"reception"}, {"payment_required"}, "<resume>"),
    "stop": _rule({"leader"}, {"received", "processing", "supplement_requested", "payment_required"}, "stopped"),
    "withdraw": _rule({"reception"}, {"registered", "received", "processing", "supplement_requested",
                                      "payment_required"}, "withdrawal_requested"),
    "return_result": _rule({"reception"}, {"processed"}, "returned"),
}


def allowed_actions(status: str, actor: Actor | None = None) -> list[str]:
    """Actions possible from this status; with an actor, only those the actor's roles may take."""
    return [name for name, rule in ACTIONS.items()
            if status in rule.from_statuses and (actor is None or actor.roles & rule.roles)]
