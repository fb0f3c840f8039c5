"""The escalation sweep: warn, escalate, re-escalate and draft apologies when their time comes.

Each due item is taken with a compare-and-set UPDATE on its escalation state (and, on PostgreSQL, rows are
read with FOR UPDATE SKIP LOCKED), so several schedulers sweeping at once never fire anything twice; the
notifications are written in the same transaction as the state they report. Nothing is missed after
downtime: the sweep takes everything due up to now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from engine.dossiers.actions import OPEN_STATUSES
from engine.dossiers.models import Dossier, Escalation, TaskRecord
from engine.dossiers.projection import OPEN
from engine.procedures.escalation_rules import DEFAULTS, next_escalation, rules_for
from engine.store.uow import UnitOfWork
from engine.time.clock import to_local

from .notifications import notify, officers_with_role


def _local(at: datetime | None) -> str:
    """Messages are read by people: local time (payloads keep ISO UTC for machines)."""
    local = to_local(at)
    return local.strftime("%H:%M %d/%m/%Y") if local else ""

KINDS = {1: "warning", 2: "escalation", 3: "reescalation"}


@dataclass
class SweepResult:
    fired: int = 0
    max_lag_seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, lag: float) -> None:
        self.fired += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.max_lag_seconds = max(self.max_lag_seconds, lag)


def _locking(uow: UnitOfWork, query):  # type: ignore[no-untyped-def]
    if uow.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=query.columns_clause_froms[0])
    return query


def sweep(uow: UnitOfWork, limit: int = 500, webhook_url: str | None = None) -> SweepResult:
    """One pass: the step escalations and the apology drafts that are due now. Commits."""
    result = SweepResult()
    for _ in range(3):  # after downtime a step may owe several levels at once: fire them in order
        before = result.fired
        _sweep_tasks(uow, limit, webhook_url, result)
        if result.fired == before:
            break
    _sweep_apologies(uow, limit, webhook_url, result)
    uow.commit()
    return result


def _sweep_tasks(uow: UnitOfWork, limit: int, webhook_url: str | None, result: SweepResult) -> None:
    session, now = uow.session, uow.clock()
    rows = session.execute(_locking(uow, select(TaskRecord, Dossier.procedure_version_id, Dossier.status)
                                    .join(Dossier, Dossier.id == TaskRecord.dossier_id)
                                    .where(TaskRecord.state == OPEN, TaskRecord.next_escalation_at <= now)
                                    .order_by(TaskRecord.next_escalation_at).limit(limit))).all()
    calendar, tree = uow.calendar, uow.org.tree(session)
    for task, version_id, status in rows:
        if status not in OPEN_STATUSES:
            continue
        compiled = uow.cache.get(session, version_id)
        step = compiled.steps.get(task.bpmn_id)
        rules = rules_for(compiled.meta, task.bpmn_id, step.properties if step else None)
        budget = step.time_budget if step else None
        level, _at = next_escalation(calendar, rules, task.escalation_level, task.due_at, budget)
        _following, next_at = next_escalation(calendar, rules, level, task.due_at, budget)
        scheduled = task.next_escalation_at
        taken = session.execute(update(TaskRecord).where(
            TaskRecord.id == task.id, TaskRecord.escalation_level == task.escalation_level,
            TaskRecord.next_escalation_at == scheduled).values(escalation_level=level, next_escalation_at=next_at)
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            continue  # another scheduler took it
        kind = KINDS[level]
        if level == 1:
            recipients = ([u for u in officers_with_role(session, [task.unit_code], task.role or "")
                           if task.assignee_id in (None, u.id)])
            unit = task.unit_code
        else:
            unit = task.unit_code if level == 2 else (tree.parent.get(task.unit_code or "") or task.unit_code)
            recipients = officers_with_role(session, [unit], "leader")
        session.add(Escalation(kind=kind, dossier_id=task.dossier_id, task_id=task.id, unit_code=unit,
                               due_at=task.due_at, fired_at=now, scheduled_at=scheduled))
        subject = {1: "Sắp đến hạn", 2: "Quá hạn", 3: "Quá hạn, chuyển cấp trên"}[level]
        notify(session, recipients, f"{subject}: {task.name} — hồ sơ {task.dossier_code}",
               f"Bước “{task.name}” của hồ sơ {task.dossier_code} ({task.applicant_name}) có hạn xử lý "
               f"{_local(task.due_at)}.",
               {"kind": kind, "dossier": task.dossier_code, "task": task.id, "unit": unit}, now, webhook_url)
        uow.record(None, kind, "task", task.id, unit=unit, dossier_id=task.dossier_id, task_id=task.id,
                   step=task.name, before={"escalation_level": level - 1}, after={"escalation_level": level},
                   detail={"scheduled_at": scheduled.isoformat(), "recipients": [u.id for u in recipients]}, at=now)
        result.count(kind, (now - scheduled).total_seconds())


def _sweep_apologies(uow: UnitOfWork, limit: int, webhook_url: str | None, result: SweepResult) -> None:
    session, now = uow.session, uow.clock()
    rows = session.execute(_locking(uow, select(Dossier.id, Dossier.code, Dossier.apology_at, Dossier.due_at,
                                                Dossier.competent_unit, Dossier.procedure_version_id, Dossier.status)
                                    .where(Dossier.apology_at <= now, Dossier.finished_at.is_(None))
                                    .order_by(Dossier.apology_at).limit(limit))).all()
    calendar = uow.calendar
    for row in rows:
        if row.status not in OPEN_STATUSES:
            continue  # paused: the apology date moves when the dossier resumes
        taken = session.execute(update(Dossier).where(Dossier.id == row.id, Dossier.apology_at == row.apology_at)
                                .values(apology_at=None).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            continue
        meta = uow.cache.get(session, row.procedure_version_id).meta
        extension = int({**DEFAULTS, **(meta.get("escalation") or {})}["apology_extension_days"])
        proposed = calendar.add_working_time(max(now, row.due_at), calendar.hours.day_length * extension)
        session.add(Escalation(kind="apology", dossier_id=row.id, unit_code=row.competent_unit, due_at=row.due_at,
                               fired_at=now, scheduled_at=row.apology_at, proposed_due_at=proposed))
        leaders = officers_with_role(session, [row.competent_unit], "leader")
        notify(session, leaders, f"Dự thảo phiếu xin lỗi (mẫu 04): hồ sơ {row.code}",
               f"Hồ sơ {row.code} có thể trễ hạn {_local(row.due_at)}. Đề xuất hẹn lại: {_local(proposed)}.",
               {"kind": "apology", "dossier": row.code, "proposed_due_at": proposed.isoformat()}, now, webhook_url)
        uow.record(None, "apology_drafted", "dossier", row.code, unit=row.competent_unit, dossier_id=row.id,
                   after={"proposed_due_at": proposed.isoformat()}, at=now)
        result.count("apology", (now - row.apology_at).total_seconds())


@dataclass(frozen=True)
class EscalationView:
    escalation: Escalation
    dossier_code: str
    step: str | None


def open_escalations(uow: UnitOfWork, units: frozenset[str], unit: str | None = None, kind: str | None = None,
                     limit: int = 200) -> list[EscalationView]:
    """Open warnings, escalations and apology drafts of the given units, oldest first."""
    wanted = sorted(u for u in units if unit is None or u == unit)
    query = (select(Escalation, Dossier.code, TaskRecord.name).join(Dossier, Dossier.id == Escalation.dossier_id)
             .outerjoin(TaskRecord, TaskRecord.id == Escalation.task_id)
             .where(Escalation.resolved_at.is_(None), Escalation.unit_code.in_(wanted)))
    if kind:
        query = query.where(Escalation.kind == kind)
    rows = uow.session.execute(query.order_by(Escalation.fired_at, Escalation.id).limit(limit)).all()
    return [EscalationView(e, code, step) for e, code, step in rows]
