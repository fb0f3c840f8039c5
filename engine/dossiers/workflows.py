"""Running a procedure's workflow: create, restore, advance, and read what waits for a human."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from engine.procedures.limits import SandboxViolation, ScriptLimits, step_budget
from engine.procedures.sandbox import MotcuaScriptEngine, script_engine
from engine.procedures.serialization import load_workflow
from engine.procedures.specs import CompiledProcedure
from engine.time.working_time import WorkingCalendar, parse_budget

from .run_errors import process_error
from .status import END_STATUS_PROPERTY

log = logging.getLogger(__name__)
DETAIL_CHARS = 1000  # a script may raise with a message of any length; the 422 and the incident say enough

# The default bounds, for callers without a runtime (tests, tools); the runtime hands every unit of work a script
# engine built from the settings (MOTCUA_SCRIPT_TIMEOUT, MOTCUA_SCRIPT_MEMORY_MB).
SCRIPT_ENGINE = script_engine()


def new_workflow(compiled: CompiledProcedure, data: dict[str, Any],
                 scripts: MotcuaScriptEngine | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=scripts or SCRIPT_ENGINE)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    return workflow


def restore_workflow(compiled: CompiledProcedure, state: bytes,
                     scripts: MotcuaScriptEngine | None = None) -> BpmnWorkflow:
    workflow = load_workflow(state, compiled.spec, compiled.subprocess_specs)
    workflow.script_engine = scripts or SCRIPT_ENGINE
    return workflow


def advance(workflow: BpmnWorkflow, run: Task | None = None) -> None:
    """Complete `run` (a person's task: its post-script runs) if given, then run everything the engine can run
    by itself. All of it is one step, within one budget of the script engine's limits. Any failure means the
    caller must not save: it is raised as ProcessError naming the element."""
    _step(workflow, run.run if run is not None else None)


def fire_due_timers(workflow: BpmnWorkflow) -> None:
    """Let timers whose time has come fire, and run on (SpiffWorkflow does not fire them by itself)."""
    _step(workflow, workflow.refresh_timers)


def _step(workflow: BpmnWorkflow, first: Callable[[], Any] | None) -> None:
    limits = getattr(workflow.script_engine, "limits", None) or ScriptLimits()
    running: list[Task] = []
    with step_budget(limits) as budget:

        def before(task: Task) -> None:  # the engine's own loop is bounded too (a diagram may loop by itself)
            running[:] = [task]
            budget.engine_task()

        try:
            if first is not None:
                first()
            workflow.do_engine_steps(will_complete_task=before)
        except SpiffWorkflowException as exc:
            raise _process_error(exc) from exc
        except SandboxViolation as violation:  # from the engine's loop, between tasks
            spec = running[0].task_spec if running else None
            raise _violation_error(violation, spec) from None
        except Exception as exc:  # anything else the procedure's data made SpiffWorkflow raise
            spec = running[0].task_spec if running else None
            log.info("step failed at %s", getattr(spec, "name", None), exc_info=True)
            raise _unexpected_error(exc, spec) from exc


def _process_error(exc: SpiffWorkflowException) -> ProcessError:
    task = getattr(exc, "task", None)
    spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
    violation = getattr(exc, "violation", None)
    if isinstance(violation, SandboxViolation):
        return _violation_error(violation, spec)
    element = spec.name if spec is not None else None
    return process_error(_describe(exc)[:DETAIL_CHARS], element=element, element_name=_name(spec))


def _violation_error(violation: SandboxViolation, spec: Any) -> ProcessError:
    name = _name(spec)
    detail = f"{name}: {violation.message}" if name else violation.message
    return process_error(detail, element=getattr(spec, "name", None), reason=violation.reason, element_name=name)


def _unexpected_error(exc: Exception, spec: Any) -> ProcessError:
    reason = "memory-limit" if isinstance(exc, MemoryError) else \
        "depth-limit" if isinstance(exc, RecursionError) else "script-error"
    return process_error(f"{type(exc).__name__}: {str(exc)[:500]}", element=getattr(spec, "name", None),
                         reason=reason, element_name=_name(spec))


def _name(spec: Any) -> str | None:
    if spec is None:
        return None
    return getattr(spec, "bpmn_name", None) or getattr(spec, "name", None)


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


def end_status(workflow: BpmnWorkflow) -> str | None:
    """The status named by the end event the workflow reached, if the designer gave one."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
        if isinstance(task.task_spec, EndEvent) and END_STATUS_PROPERTY in props:
            return props[END_STATUS_PROPERTY]
    return None
