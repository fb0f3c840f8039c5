"""What the officers of a dossier's units read of it beyond its facts: the citizen's declaration and every
step's data (what each officer entered, who and when), each value labelled from the form it was entered in.

Only the dossier's readers (`access.may_see_dossier`): the declaration and the steps carry personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.people.actors import Actor
from engine.people.models import User
from engine.procedures.form_reading import ReadField, read_form
from engine.procedures.specs import CompiledProcedure
from engine.store.uow import UnitOfWork

from .models import Dossier, TaskRecord
from .projection import STEP_ORDER
from .service import declaration_of, find_dossier, form_schema


@dataclass(frozen=True)
class StepRecord:
    task: TaskRecord
    fields: list[ReadField]  # the data submitted at completion, labelled; empty while the step is open
    completed_by_name: str | None
    assignee_name: str | None

    def __getattr__(self, name: str) -> Any:  # the task's own columns read through (schemas, templates)
        return getattr(self.task, name)


@dataclass(frozen=True)
class DossierRecord:
    dossier: Dossier
    declaration: list[ReadField]
    steps: list[StepRecord]


def officer_names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = uow.session.execute(select(User.id, User.full_name, User.username).where(User.id.in_(wanted)))
    return {uid: full_name or username for uid, full_name, username in rows}


def step_records(uow: UnitOfWork, compiled: CompiledProcedure, tasks: list[TaskRecord]) -> list[StepRecord]:
    names = officer_names(uow, {t.completed_by for t in tasks} | {t.assignee_id for t in tasks})
    return [StepRecord(task=t, fields=read_form(form_schema(compiled, t.form_key), t.submitted)
                       if t.submitted else [],
                       completed_by_name=names.get(t.completed_by or 0),
                       assignee_name=names.get(t.assignee_id or 0)) for t in tasks]


def dossier_record(uow: UnitOfWork, actor: Actor, code: str) -> DossierRecord:
    """The declaration and the steps in the order they happened (completed, open, paused and cancelled)."""
    session = uow.session
    dossier = find_dossier(session, actor, code)
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id)
                                 .order_by(*STEP_ORDER)))
    return DossierRecord(dossier=dossier, declaration=declaration_of(compiled, dossier),
                         steps=step_records(uow, compiled, tasks))
