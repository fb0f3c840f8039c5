"""Running a procedure's workflow: create, restore, advance, and read what waits for a human."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, NotFound, ProcessError
from engine.procedures.sandbox import SandboxViolation, script_engine
from engine.procedures.serialization import load_workflow
from engine.procedures.specs import CompiledProcedure
from engine.time.working_time import WorkingCalendar, parse_budget

from .status import END_STATUS_PROPERTY

SCRIPT_ENGINE = script_engine()


def new_workflow(compiled: CompiledProcedure, data: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    return workflow


def restore_workflow(compiled: CompiledProcedure, state: bytes) -> BpmnWorkflow:
    workflow = load_workflow(state, compiled.spec, compiled.subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def advance(workflow: BpmnWorkflow) -> None:
    """Run everything the engine can run by itself. Any failure means the caller must not save."""
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        task = getattr(exc, "task", None)
        spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
        element = spec.name if spec is not None else None
        raise ProcessError(_describe(exc), element=element) from exc
    except (SandboxViolation, ArithmeticError, LookupError, TypeError, ValueError, NameError) as exc:
        raise ProcessError(f"{type(exc).__name__}: {exc}") from exc


def _describe(exc: SpiffWorkflowException) -> str:
    notes = getattr(exc, "notes", None) or []
    return " ".join([str(exc), *notes]).strip()


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def ready_user_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    """The task, only if it is a human task that may be completed now (Task.run() checks nothing)."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError):
        raise NotFound(f"task {task_id} does not exist") from None
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    if not task.task_spec.manual or task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is not waiting to be completed")
    return task


WORKING_DURATION_PROPERTY = "workingDuration"  # on a timer event: its duration in working time (PT4H, P2D)


def schedule_timers(workflow: BpmnWorkflow, calendar: WorkingCalendar, now: datetime) -> datetime | None:
    """Put working-time timers on the calendar, and return when the earliest waiting timer fires.

    SpiffWorkflow computes a duration timer's fire time in wall-clock time when the timer starts waiting;
    a timer marked with `workingDuration` gets its fire time from the working calendar instead, once.
    """
    earliest: datetime | None = None
    for task in workflow.get_tasks(state=TaskState.WAITING):
        event = getattr(task.task_spec, "event_definition", None)
        if not isinstance(event, TimerEventDefinition):
            continue
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
        if props.get(WORKING_DURATION_PROPERTY) and not task.internal_data.get("working_time"):
            fire = calendar.add_working_time(now, parse_budget(props[WORKING_DURATION_PROPERTY],
                                                               calendar.hours.day_length))
            task.internal_data["event_value"] = fire.isoformat()
            task.internal_data["working_time"] = True
        value = event.details(task).value
        if isinstance(value, str):
            try:
                fire_at = TimerEventDefinition.get_datetime(value)
            except ValueError:
                continue
            earliest = fire_at if earliest is None or fire_at < earliest else earliest
    return earliest


def fire_due_timers(workflow: BpmnWorkflow) -> None:
    """Let timers whose time has come fire, and run on (SpiffWorkflow does not fire them by itself)."""
    try:
        workflow.refresh_timers()
    except SpiffWorkflowException as exc:
        raise ProcessError(_describe(exc)) from exc
    advance(workflow)


def end_status(workflow: BpmnWorkflow) -> str | None:
    """The status named by the end event the workflow reached, if the designer gave one."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
        if isinstance(task.task_spec, EndEvent) and END_STATUS_PROPERTY in props:
            return props[END_STATUS_PROPERTY]
    return None
