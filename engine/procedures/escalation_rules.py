"""Escalation rules, from a procedure's metadata (`[escalation]` and `[escalation.steps.<bpmn id>]`):

level 1  warn the assignee when `warn_remaining` of the step's time budget is left (or, with
         `warn_before_hours`, that many working hours before the due time);
level 2  escalate to the leaders of the task's unit at the step's due time;
level 3  re-escalate to the leaders of the parent unit `reescalate_after_hours` working hours later;
and, per dossier, draft the apology (form 04) `apology_before_days` working days before the legal date.
A procedure that says nothing gets these defaults (25 %, at due, 8 hours, 1 day).

A step's own BPMN properties (`warnBeforeHours`, `warnRemaining`, `reescalateAfterHours`, `escalateAtDue`,
edited in the designer's properties panel) override both: the diagram is where a designer sees the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.time.working_time import MAX_BUDGET_HOURS, WorkingCalendar, parse_budget

DEFAULTS: dict[str, Any] = {"warn_remaining": 0.25, "warn_before_hours": None, "escalate_at_due": True,
                            "reescalate_after_hours": 8.0,
                            "apology_before_days": 1.0, "apology_extension_days": 2, "steps": {}}


@dataclass(frozen=True)
class StepRules:
    warn_remaining: float
    escalate_at_due: bool
    reescalate_after_hours: float
    warn_before_hours: float | None = None


# BPMN property name -> rule name; values are strings in the diagram.
STEP_PROPERTIES = {"warnBeforeHours": "warn_before_hours", "warnRemaining": "warn_remaining",
                   "reescalateAfterHours": "reescalate_after_hours", "escalateAtDue": "escalate_at_due"}
BOOLEANS = {"true": True, "false": False}


def _hours(text: str) -> float:
    value = float(text.replace(",", "."))  # Vietnamese designers write decimals with a comma
    if not 0 <= value <= MAX_BUDGET_HOURS:  # also rejects NaN and infinity; more would overflow the dates
        raise ValueError(text)
    return value


def _share(text: str) -> float:
    value = float(text.replace(",", "."))
    if not 0 <= value <= 1:
        raise ValueError(text)
    return value


def _boolean(text: str) -> bool:
    return BOOLEANS[text.strip().lower()]


PARSERS = {"warn_before_hours": _hours, "warn_remaining": _share, "reescalate_after_hours": _hours,
           "escalate_at_due": _boolean}


def property_rules(properties: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A step's escalation overrides from its BPMN properties, and the properties whose values are malformed
    (name -> value). Empty values count as absent, as the properties panel leaves them."""
    rules: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for prop, rule in STEP_PROPERTIES.items():
        text = (properties.get(prop) or "").strip()
        if not text:
            continue
        try:
            rules[rule] = PARSERS[rule](text)
        except (ValueError, KeyError):
            bad[prop] = text
    return rules, bad


def rules_for(meta: dict[str, Any], bpmn_id: str, properties: Mapping[str, str] | None = None) -> StepRules:
    """The rules of one step: defaults < procedure.toml < its `[escalation.steps.<id>]` < its BPMN properties."""
    rules = {**DEFAULTS, **(meta.get("escalation") or {})}
    step = {**rules["steps"].get(bpmn_id, {})}
    drawn, _bad = property_rules(properties or {})  # validation refuses malformed ones before publishing
    if "warn_remaining" in drawn and "warn_before_hours" not in drawn:
        step["warn_before_hours"] = None  # a share drawn on the step replaces a fixed warning from the toml
    step.update(drawn)
    return StepRules(step.get("warn_remaining", rules["warn_remaining"]),
                     step.get("escalate_at_due", rules["escalate_at_due"]),
                     step.get("reescalate_after_hours", rules["reescalate_after_hours"]),
                     step.get("warn_before_hours", rules["warn_before_hours"]))


def threshold(calendar: WorkingCalendar, rules: StepRules, level: int, due_at: datetime | None,
              budget: str | None) -> datetime | None:
    """When escalation `level` (1..3) falls due for a step with this due time and budget; None = never."""
    if due_at is None:
        return None
    if level == 1:
        if rules.warn_before_hours is not None:
            return calendar.subtract_working_time(due_at, timedelta(hours=rules.warn_before_hours))
        if not budget or rules.warn_remaining <= 0:
            return None
        share = parse_budget(budget, calendar.hours.day_length) * rules.warn_remaining
        return calendar.subtract_working_time(due_at, share)
    if not rules.escalate_at_due:
        return None
    if level == 2:
        return due_at
    if level == 3 and rules.reescalate_after_hours > 0:
        return calendar.add_working_time(due_at, timedelta(hours=rules.reescalate_after_hours))
    return None


def next_escalation(calendar: WorkingCalendar, rules: StepRules, reached: int, due_at: datetime | None,
                    budget: str | None) -> tuple[int, datetime | None]:
    """The next level after `reached` that has a time, and that time."""
    for level in range(reached + 1, 4):
        at = threshold(calendar, rules, level, due_at, budget)
        if at is not None:
            return level, at
    return reached, None


def apology_at(calendar: WorkingCalendar, meta: dict[str, Any], due_at: datetime | None) -> datetime | None:
    if due_at is None:
        return None
    days = float({**DEFAULTS, **(meta.get("escalation") or {})}["apology_before_days"])
    return calendar.subtract_working_time(due_at, calendar.hours.day_length * days) if days else due_at
