"""What-if: replay the finished dossiers of recent months against a version, beside the actual figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.dossiers.models import Dossier, TaskRecord
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork
from engine.time.deadlines import legal_time_for
from engine.time.working_time import parse_budget

from .drafts import require_reformer, version_row


@dataclass
class Figures:
    dossiers: int = 0
    on_time: int = 0
    hours: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"dossiers": self.dossiers, "on_time_rate": round(100 * self.on_time / self.dossiers, 2)
                if self.dossiers else None,
                "average_working_hours": round(self.hours / self.dossiers, 2) if self.dossiers else None}


def what_if(uow: UnitOfWork, actor: Actor, code: str, number: int, months: int = 6) -> dict[str, Any]:
    """Replay the finished dossiers of the last `months` against a version: a removed step removes its
    recorded time, and the version's legal time decides on-time; beside the actual figures."""
    require_reformer(actor)
    session, calendar, now = uow.session, uow.calendar, uow.clock()
    target = uow.cache.get(session, version_row(uow, code, number).id)
    since = now - timedelta(days=31 * months)
    dossiers = list(session.scalars(select(Dossier).where(
        Dossier.procedure_code == code, Dossier.processed_at.is_not(None), Dossier.processed_at >= since,
        Dossier.received_at.is_not(None))))
    steps: dict[int, list[TaskRecord]] = {}
    for task in session.scalars(select(TaskRecord).where(TaskRecord.dossier_id.in_([d.id for d in dossiers]),
                                                         TaskRecord.completed_at.is_not(None))):
        steps.setdefault(task.dossier_id, []).append(task)
    day_hours = calendar.hours.day_length.total_seconds() / 3600

    def legal_hours_on(channel: str | None) -> float:
        """The version's legal time for a dossier of this channel (each channel may have its own), in hours."""
        legal = legal_time_for(target.meta, channel)
        return legal["value"] * (day_hours if legal["unit"] == "working_days" else 1)

    legal_hours = legal_hours_on(None)
    actual, estimate = Figures(), Figures()
    removed: dict[str, float] = {}
    step_figures: dict[str, dict[str, int]] = {}  # per kept step: how many were (and would be) on time
    for dossier in dossiers:
        taken = calendar.working_time_between(dossier.received_at, dossier.processed_at).total_seconds() / 3600
        taken -= dossier.paused_seconds / 3600
        saved = 0.0
        for task in steps.get(dossier.id, []):
            hours = calendar.working_time_between(task.created_at, task.completed_at).total_seconds() / 3600
            if task.bpmn_id not in target.steps:
                saved += hours
                removed[task.bpmn_id] = removed.get(task.bpmn_id, 0.0) + hours
                continue
            budget = target.steps[task.bpmn_id].time_budget
            figures = step_figures.setdefault(task.bpmn_id, {"steps": 0, "on_time": 0, "on_time_with_version": 0})
            figures["steps"] += 1
            figures["on_time"] += bool(task.on_time)
            if budget:  # the version's budget decides (a shortened budget turns slow steps late)
                figures["on_time_with_version"] += hours <= parse_budget(budget, calendar.hours.day_length
                                                                         ).total_seconds() / 3600
        actual.dossiers += 1
        actual.hours += taken
        actual.on_time += dossier.processed_at <= dossier.due_at if dossier.due_at else 0
        estimate.dossiers += 1
        estimate.hours += taken - saved
        estimate.on_time += (taken - saved) <= legal_hours_on(dossier.channel)
    return {"version": number, "months": months, "legal_working_hours": legal_hours,
            "actual": actual.as_dict(), "estimate": estimate.as_dict(),
            "removed_steps": {k: round(v, 2) for k, v in removed.items()}, "steps": step_figures,
            "step_budgets": {s.bpmn_id: s.time_budget for s in target.steps.values()}}
