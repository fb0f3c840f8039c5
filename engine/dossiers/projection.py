"""Keeps the `tasks` table in step with a workflow, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.procedures.escalation_rules import next_escalation, rules_for
from engine.procedures.specs import CompiledProcedure
from engine.text import fold
from engine.time.deadlines import step_due
from engine.time.working_time import WorkingCalendar

from .models import Dossier, TaskRecord
from .priorities import step_default
from .workflows import ready_user_tasks

OPEN, COMPLETED, CANCELLED, SUSPENDED = "open", "completed", "cancelled", "suspended"
# A dossier's steps in the order they happened: by creation; at the same instant a finished step before one
# still open (the step completed and the next created by one request share a timestamp); then by id.
STEP_ORDER = (TaskRecord.created_at, TaskRecord.completed_at.is_(None), TaskRecord.completed_at, TaskRecord.id)
RECEPTION_ROLE = "reception"
PRIORITY_PROPERTY = "priority"  # a step's default priority (priorities.py), set in the BPMN


def responsible_unit(dossier: Dossier, role: str | None) -> str | None:
    """Reception lanes are worked where the dossier was received; every other lane at the competent unit."""
    return dossier.reception_unit if role == RECEPTION_ROLE else dossier.competent_unit or dossier.reception_unit


def _priority(properties: dict[str, str]) -> int:
    return step_default(properties.get(PRIORITY_PROPERTY))


def sync_tasks(session: Session, dossier: Dossier, workflow: BpmnWorkflow, compiled: CompiledProcedure,
               now: datetime, calendar: WorkingCalendar,
               known_open: list[TaskRecord] | None = None) -> list[TaskRecord]:
    """Insert rows for newly ready human tasks, with their due time from the step's budget;
    cancel rows whose task is no longer ready.

    `known_open` saves a query when the caller already holds the dossier's open rows.
    """
    if known_open is None:
        known_open = list(session.scalars(
            select(TaskRecord).where(TaskRecord.dossier_id == dossier.id, TaskRecord.state == OPEN)))
    ready = {str(task.id): task for task in ready_user_tasks(workflow)}
    for row in known_open:
        if row.state == OPEN and row.id not in ready:
            row.state = CANCELLED
            row.completed_at = now
    open_ids = {row.id for row in known_open if row.state == OPEN}
    created: list[TaskRecord] = []
    for task_id, task in ready.items():
        if task_id in open_ids:
            continue
        step = compiled.steps.get(task.task_spec.name)
        row = TaskRecord(
            id=task_id, dossier_id=dossier.id, bpmn_id=task.task_spec.name, dossier_code=dossier.code,
            procedure_code=dossier.procedure_code, applicant_name=dossier.applicant_name,
            search_text=fold(f"{dossier.code} {dossier.applicant_name}")[:300],
            priority=_priority(step.properties if step else {}),
            name=step.name if step else (task.task_spec.bpmn_name or task.task_spec.name),
            role=task.task_spec.lane, unit_code=responsible_unit(dossier, task.task_spec.lane), state=OPEN,
            form_key=step.form_key if step else None, created_at=now,
            due_at=step_due(calendar, step.time_budget if step else None, now), escalation_level=0,
        )
        rules = rules_for(compiled.meta, row.bpmn_id, step.properties if step else None)
        _level, row.next_escalation_at = next_escalation(
            calendar, rules, 0, row.due_at, step.time_budget if step else None)
        session.add(row)
        created.append(row)
    return created
