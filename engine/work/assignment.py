"""Claim, unclaim, assign, delegate and hand-over: who works each open task.

Claims use a conditional UPDATE (`... WHERE assignee_id IS NULL`), so of two officers claiming at once
exactly one wins and the other gets 409, on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update

from engine.dossiers.access import may_see_task, may_work_task
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.priorities import PRIORITIES, name_of, rank_of
from engine.dossiers.projection import OPEN, SUSPENDED
from engine.dossiers.status import FINAL_STATUSES
from engine.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from engine.people.accounts import manages
from engine.people.actors import Actor
from engine.people.models import Membership, User
from engine.people.organisation import actor_for, memberships_of
from engine.store.uow import UnitOfWork

LEADER = "leader"


def _task(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskRecord:
    task = uow.session.get(TaskRecord, task_id)
    if task is None or not may_see_task(actor, task):
        raise NotFound(f"task {task_id} does not exist")
    if task.state not in (OPEN, SUSPENDED):
        raise Conflict(f"task {task_id} is {task.state}")
    return task


def _is_leader_of(actor: Actor, task: TaskRecord) -> bool:
    return actor.has_role(LEADER, task.unit_code)


def _candidate(uow: UnitOfWork, user_id: int, task: TaskRecord) -> Actor:
    try:
        other = actor_for(uow.session, uow.org, user_id)
    except Unauthorized:
        raise ValidationFailed("unknown or disabled officer", {"user_id": ["No such active officer."]}) from None
    if not may_work_task(other, task):
        raise ValidationFailed("that officer cannot work this task",
                               {"user_id": [f"Needs the '{task.role}' role in unit {task.unit_code}."]})
    return other


def _set_assignee(uow: UnitOfWork, task: TaskRecord, expected: int | None, new: int | None, now: datetime) -> None:
    """Compare-and-set on the assignee: a concurrent change makes this a 409, not a silent overwrite."""
    condition = TaskRecord.assignee_id.is_(None) if expected is None else TaskRecord.assignee_id == expected
    result = uow.session.execute(update(TaskRecord).where(TaskRecord.id == task.id, condition)
                                 .values(assignee_id=new, claimed_at=now if new is not None else None)
                                 .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("someone else changed this task's assignee a moment ago")
    uow.session.expire(task)


def _record(uow: UnitOfWork, actor: Actor, action: str, task: TaskRecord, before: dict[str, Any],
            after: dict[str, Any], now: datetime | None = None) -> None:
    uow.record(actor, action, "task", task.id, unit=task.unit_code, dossier_id=task.dossier_id, task_id=task.id,
               step=task.name, before=before, after=after, at=now)


def claim(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskRecord:
    task = _task(uow, actor, task_id)
    if not may_work_task(actor, task):
        raise Forbidden(f"task {task_id} belongs to the '{task.role}' role")
    if task.assignee_id == actor.user_id:
        return task
    if task.assignee_id is not None:
        raise Conflict("the task is already claimed", assignee_id=task.assignee_id)
    now = uow.clock()
    _set_assignee(uow, task, None, actor.user_id, now)
    _record(uow, actor, "claimed", task, {"assignee_id": None}, {"assignee_id": actor.user_id}, now)
    uow.commit()
    return task


def unclaim(uow: UnitOfWork, actor: Actor, task_id: str) -> TaskRecord:
    task = _task(uow, actor, task_id)
    if task.assignee_id != actor.user_id and not _is_leader_of(actor, task):
        raise Forbidden("only the assignee or a leader of the unit may release the task")
    if task.assignee_id is None:
        return task
    now, before = uow.clock(), task.assignee_id
    _set_assignee(uow, task, before, None, now)
    task.owner_id = None
    _record(uow, actor, "unclaimed", task, {"assignee_id": before}, {"assignee_id": None}, now)
    uow.commit()
    return task


def assign(uow: UnitOfWork, actor: Actor, task_id: str, user_id: int) -> TaskRecord:
    """A leader of the task's unit gives it to an officer who holds its role there."""
    task = _task(uow, actor, task_id)
    if not _is_leader_of(actor, task):
        raise Forbidden("only a leader of the unit assigns tasks")
    _candidate(uow, user_id, task)
    now, before = uow.clock(), task.assignee_id
    _set_assignee(uow, task, before, user_id, now)
    _record(uow, actor, "assigned", task, {"assignee_id": before}, {"assignee_id": user_id}, now)
    uow.commit()
    return task


def delegate(uow: UnitOfWork, actor: Actor, task_id: str, user_id: int) -> TaskRecord:
    """The assignee hands the task to a colleague with the role; the assignee stays its owner."""
    task = _task(uow, actor, task_id)
    if task.assignee_id != actor.user_id:
        raise Conflict("only the task's assignee can delegate it; claim it first")
    if user_id == actor.user_id:
        raise ValidationFailed("cannot delegate to oneself", {"user_id": ["Choose a colleague."]})
    _candidate(uow, user_id, task)
    now = uow.clock()
    _set_assignee(uow, task, actor.user_id, user_id, now)
    task.owner_id = task.owner_id or actor.user_id
    _record(uow, actor, "delegated", task, {"assignee_id": actor.user_id},
            {"assignee_id": user_id, "owner_id": task.owner_id}, now)
    uow.commit()
    return task


def set_priority(uow: UnitOfWork, actor: Actor, task_id: str, priority: str) -> TaskRecord:
    """A leader of the unit sets the task's priority, one of the named scale (`priorities.PRIORITIES`)."""
    task = _task(uow, actor, task_id)
    if not _is_leader_of(actor, task):
        raise Forbidden("only a leader of the unit sets priorities")
    rank = rank_of(priority)
    if rank is None:
        raise ValidationFailed("unknown priority", {"priority": [f"Must be one of: {', '.join(PRIORITIES)}."]})
    before, task.priority = task.priority, rank
    _record(uow, actor, "prioritised", task, {"priority": name_of(before)}, {"priority": priority})
    uow.commit()
    return task


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    full_name: str
    open_tasks: int
    overdue_tasks: int


def candidates(uow: UnitOfWork, actor: Actor, task_id: str) -> list[Candidate]:
    """Officers who may take the task, with their current load, so a leader can spread the work (and the
    assignee can choose a colleague to delegate to)."""
    task = _task(uow, actor, task_id)
    if not _is_leader_of(actor, task) and task.assignee_id != actor.user_id:
        raise Forbidden("only a leader of the unit or the task's assignee sees the candidates")
    return _holders(uow, {(task.unit_code, task.role)})[(task.unit_code, task.role)]


def team_candidates(uow: UnitOfWork, actor: Actor, tasks: list[TaskRecord]) -> dict[str, list[Candidate]]:
    """`candidates` for a page of tasks at once (the inbox's team view), in one query: task id → officers who
    may take it, least loaded first. Tasks the actor does not lead, or that are no longer open, are left out."""
    led = [t for t in tasks if t.state in (OPEN, SUSPENDED) and _is_leader_of(actor, t)]
    if not led:
        return {}
    by_pair = _holders(uow, {(t.unit_code, t.role) for t in led})
    return {t.id: by_pair[(t.unit_code, t.role)] for t in led}


def _holders(uow: UnitOfWork, pairs: set[tuple[str | None, str | None]]) -> dict[tuple[str | None, str | None],
                                                                                  list[Candidate]]:
    """Active officers holding each (unit, role) pair's role in the unit or a level above it, with their load,
    least loaded first."""
    tree = uow.org.tree(uow.session)
    cover = {u: tree.covered(u) for u in tree.parent}
    # each pair's unit and the levels above it
    above = {pair: {u for u, below in cover.items() if pair[0] in below} for pair in pairs}
    roles, units = {role for _unit, role in pairs if role}, set().union(*above.values())
    members = uow.session.execute(
        select(User.id, User.username, User.full_name, Membership.role_code, Membership.unit_code)
        .join(Membership, Membership.user_id == User.id)
        .where(User.active.is_(True), Membership.role_code.in_(sorted(roles)), Membership.unit_code.in_(sorted(units)))
    ).all()
    # the load of these officers only (the open-tasks-by-assignee index), not of every officer in the province
    now, ids = uow.clock(), sorted({m.id for m in members})
    load = {uid: (n, late or 0) for uid, n, late in uow.session.execute(
        select(TaskRecord.assignee_id, func.count(), func.sum(case((TaskRecord.due_at < now, 1), else_=0)))
        .where(TaskRecord.state == OPEN, TaskRecord.assignee_id.in_(ids)).group_by(TaskRecord.assignee_id))} \
        if ids else {}
    found: dict[tuple[str | None, str | None], dict[int, Candidate]] = {pair: {} for pair in pairs}
    for uid, username, full_name, role, unit in members:
        for pair, bucket in found.items():
            if pair[1] == role and unit in above[pair] and uid not in bucket:
                bucket[uid] = Candidate(uid, username, full_name, *load.get(uid, (0, 0)))
    return {pair: sorted(bucket.values(), key=lambda c: (c.open_tasks, c.username)) for pair, bucket in found.items()}


@dataclass
class HandoverReport:
    from_user: int
    to_user: int
    moved_tasks: list[str] = field(default_factory=list)
    moved_dossiers: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    deactivated: bool = False
    # what moves, for the preview: each task (dossier, procedure, step, due) and each dossier (procedure,
    # status, due), read before a dry run rolls back
    tasks: list[dict[str, Any]] = field(default_factory=list)
    dossiers: list[dict[str, Any]] = field(default_factory=list)


def handover(uow: UnitOfWork, actor: Actor, from_user: int, to_user: int, deactivate: bool = False,
             dry_run: bool = False) -> HandoverReport:
    """Move every open task and pending dossier of one officer to another, in one transaction.

    A task moves only if the receiver may work it; the rest is reported as skipped, with why. A dry run
    reports the same and rolls everything back, so a leader previews exactly what confirming will do.
    """
    session = uow.session
    if from_user == to_user:
        raise ValidationFailed("hand over to someone else", {"to_user": ["Must differ from from_user."]})
    leaver, receiver = session.get(User, from_user), session.get(User, to_user)
    if leaver is None or receiver is None:
        raise NotFound("unknown officer")
    newcomer = actor_for(session, uow.org, to_user)
    leaver_memberships = memberships_of(session, from_user)
    leaver_units = {unit for unit, _ in leaver_memberships}
    if not manages(actor, leaver_memberships) and not all(actor.has_role(LEADER, unit)
                                                          for unit in leaver_units or {None}):
        raise Forbidden("a hand-over is made by a leader of the officer's units, or an administrator of them")
    now = uow.clock()
    report = HandoverReport(from_user, to_user)
    tasks = session.scalars(select(TaskRecord).where(
        TaskRecord.state.in_((OPEN, SUSPENDED)),
        or_(TaskRecord.assignee_id == from_user, TaskRecord.owner_id == from_user)).order_by(TaskRecord.created_at))
    for task in tasks:
        if not may_work_task(newcomer, task):
            report.skipped.append({"task": task.id, "dossier": task.dossier_code, "code": "role-missing",
                                   "role": task.role or "", "unit": task.unit_code or "",
                                   "reason": f"needs the '{task.role}' role in unit {task.unit_code}"})
            continue
        before = {"assignee_id": task.assignee_id, "owner_id": task.owner_id}
        if task.assignee_id == from_user:
            task.assignee_id, task.claimed_at = to_user, now
        if task.owner_id == from_user:
            task.owner_id = to_user
        report.moved_tasks.append(task.id)
        report.tasks.append({"task": task.id, "dossier": task.dossier_code, "procedure": task.procedure_code,
                             "step": task.name, "state": task.state, "due_at": task.due_at,
                             "role": task.role or "", "owner_only": task.assignee_id != to_user})
        _record(uow, actor, "handed_over", task, before,
                {"assignee_id": task.assignee_id, "owner_id": task.owner_id}, now)
    units = newcomer.officer_units
    dossiers = session.scalars(select(Dossier).where(
        Dossier.handler_id == from_user, Dossier.status.not_in(sorted(FINAL_STATUSES - {"processed"}))))
    for dossier in dossiers:
        if not (dossier.reception_unit in units or dossier.competent_unit in units):
            report.skipped.append({"dossier": dossier.code, "code": "outside-units",
                                   "unit": dossier.competent_unit or "", "reason": "outside the receiver's units"})
            continue
        dossier.handler_id = to_user
        report.moved_dossiers.append(dossier.code)
        report.dossiers.append({"dossier": dossier.code, "procedure": dossier.procedure_code,
                                "status": dossier.status, "due_at": dossier.due_at})
        uow.record(actor, "handed_over", "dossier", dossier.code, dossier_id=dossier.id,
                   before={"handler_id": from_user}, after={"handler_id": to_user}, at=now)
    if deactivate:
        leaver.active = False
        report.deactivated = True
        uow.record(actor, "deactivated", "user", from_user, before={"active": True}, after={"active": False}, at=now)
    uow.record(actor, "handover", "user", from_user, after={"to_user": to_user}, at=now,
               detail={"tasks": len(report.moved_tasks), "dossiers": len(report.moved_dossiers),
                       "skipped": len(report.skipped)})
    if dry_run:
        uow.session.rollback()
        uow.pending_audit = []
        return report
    uow.commit()
    return report


