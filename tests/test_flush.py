"""`store.flush` writes what the ORM tracks as the ORM would (one statement on PostgreSQL): inserts with their
defaults, updates with the optimistic lock; a stale version writes nothing at all; the objects end up as after
the ORM's own flush, and a rollback still undoes them. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from engine.dossiers.models import Dossier, TaskRecord
from engine.store.audit import reservation
from engine.store.flush import flush
from engine.store.models import AuditHead

from .conftest import Api
from .test_flow import submit


def _first(app: Any) -> tuple[Any, int, str]:
    factory = app.extensions["motcua"].session_factory
    with factory() as session:
        dossier = session.scalars(select(Dossier)).one()
        task = session.scalars(select(TaskRecord)).one()
        return factory, dossier.id, task.id


def test_writes_inserts_and_updates_and_leaves_the_session_clean(api: Api) -> None:
    submit(api, "ho-kinh-doanh")
    factory, dossier_id, task_id = _first(api.client.application)
    with factory() as session:
        dossier, task = session.get(Dossier, dossier_id), session.get(TaskRecord, task_id)
        version = dossier.lock_version
        dossier.status, task.priority = "processing", 3
        new = TaskRecord(id="t-new", dossier_id=dossier_id, bpmn_id="x", name="Bước mới", role="leader",
                         unit_code="CM-AX", state="open", created_at=task.created_at)
        session.add(new)
        statement, params = reservation([{}])
        seq, _prev = flush(session, then=statement, then_params=params)
        assert not session.dirty and not session.new and new in session  # as after the ORM's flush
        assert (dossier.lock_version, new.priority, new.escalation_level, new.search_text) == (version + 1, 0, 0, "")
        session.commit()
    with factory() as session:
        assert session.get(Dossier, dossier_id).status == "processing"
        assert session.get(TaskRecord, task_id).priority == 3
        assert session.get(TaskRecord, "t-new").name == "Bước mới"
        assert session.get(AuditHead, 1).seq == seq  # the reservation ran after the writes


def test_a_stale_version_writes_nothing(api: Api) -> None:
    submit(api, "ho-kinh-doanh")
    factory, dossier_id, task_id = _first(api.client.application)
    with factory() as session, factory() as other:
        dossier, task = session.get(Dossier, dossier_id), session.get(TaskRecord, task_id)
        other.get(Dossier, dossier_id).status = "processing"  # someone else changes the dossier first
        other.commit()
        dossier.status, task.priority = "received", 9
        session.add(TaskRecord(id="t-lost", dossier_id=dossier_id, bpmn_id="x", name="x", role="leader",
                               unit_code="CM-AX", state="open", created_at=task.created_at))
        with pytest.raises(StaleDataError):
            flush(session)
        session.rollback()
    with factory() as session:
        assert session.get(TaskRecord, task_id).priority == 0
        assert session.get(TaskRecord, "t-lost") is None
        assert session.scalar(select(func.count()).select_from(TaskRecord)) == 1


def test_a_rollback_after_the_flush_forgets_the_inserted_rows(api: Api) -> None:
    submit(api, "ho-kinh-doanh")
    factory, dossier_id, task_id = _first(api.client.application)
    with factory() as session:
        task = session.get(TaskRecord, task_id)
        task.priority = 5
        extra = TaskRecord(id="t-undone", dossier_id=dossier_id, bpmn_id="x", name="x", role="leader",
                           unit_code="CM-AX", state="open", created_at=task.created_at)
        session.add(extra)
        flush(session)
        session.rollback()
        assert extra not in session  # as the ORM does with rows it inserted in a rolled-back transaction
        assert task.priority == 0  # expired and read again
        assert session.get(TaskRecord, "t-undone") is None
