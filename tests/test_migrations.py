"""Migrations run forward from the first schema with data in it, and back, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from engine.store.migrate import alembic_config, upgrade

from . import pgserver


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_keeps_data_and_downgrade_works(backend: str, tmp_path: object, request: pytest.FixtureRequest
                                                 ) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        server: pgserver.PostgresServer = request.getfixturevalue("pg")
        url = server.create_database("motcua_migrations")
    upgrade(url, "0001")
    engine = create_engine(url)
    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO procedures (code, name_vi, name_en, created_at) VALUES ('p', 'P', 'P', :t)"),
                     {"t": now})
        conn.execute(text("INSERT INTO procedure_versions (id, procedure_code, number, content_hash, process_id, "
                          "metadata, files, forms, spec, created_at) VALUES (1, 'p', 1, 'h', 'p', '{}', '{}', "
                          "'{}', :b, :t)"), {"b": b"{}", "t": now})
        conn.execute(text("INSERT INTO dossiers (id, code, procedure_code, procedure_version_id, status, channel, "
                          "applicant_name, applicant, data, unit_code, state, lock_version, created_at, updated_at) "
                          "VALUES (1, 'MC-1', 'p', 1, 'processing', 'counter', 'Á', :a, '{}', 'XA-01', :b, 1, "
                          ":t, :t)"), {"b": b"{}", "t": now,
                                       "a": '{"name": "Nguyễn Thị Á", "id_number": "012345678901"}'})
    upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT reception_unit, received_at, paused_seconds, supplement_count "
                                "FROM dossiers")).one()
    assert row[0] == "XA-01" and row[1] is not None and (row[2], row[3]) == (0, 0)
    with engine.connect() as conn:  # 0014 filled the applicant's facts of the dossiers already there
        facts = conn.execute(text("SELECT applicant_kind, applicant_key, search_text FROM dossiers")).one()
    assert tuple(facts) == ("person", "012345678901", "mc-1 nguyen thi a 012345678901")
    assert "calendar_overrides" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(url), "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT unit_code FROM dossiers")).scalar_one() == "XA-01"
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0017_keeps_completed_steps_data_and_maps_priorities_to_the_scale(backend: str, tmp_path: object,
                                                                          request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/m17.db"
    else:
        server: pgserver.PostgresServer = request.getfixturevalue("pg")
        url = server.create_database("motcua_migrations_0017")
    upgrade(url, "0014")
    engine = create_engine(url)
    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO procedures (code, name_vi, name_en, created_at) VALUES ('p', 'P', 'P', :t)"),
                     {"t": now})
        conn.execute(text("INSERT INTO procedure_versions (id, procedure_code, number, content_hash, process_id, "
                          "metadata, files, forms, spec, created_at) VALUES (1, 'p', 1, 'h', 'p', '{}', '{}', "
                          "'{}', :b, :t)"), {"b": b"{}", "t": now})
        conn.execute(text("INSERT INTO dossiers (id, code, procedure_code, procedure_version_id, status, channel, "
                          "applicant_name, applicant, data, reception_unit, state, lock_version, created_at, "
                          "updated_at, paused_seconds, supplement_count, fee_amount) VALUES (1, 'MC-1', 'p', 1, "
                          "'processing', 'counter', 'Á', '{}', '{}', 'XA-01', :b, 1, :t, :t, 0, 0, 0)"),
                     {"b": b"{}", "t": now})
        for task, priority, state in (("t-low", -3, "open"), ("t-one", 1, "open"), ("t-mid", 7, "open"),
                                      ("t-high", 60, "open"), ("t-done", 0, "completed")):
            conn.execute(text("INSERT INTO tasks (id, dossier_id, bpmn_id, name, state, created_at, priority, "
                              "escalation_level) VALUES (:id, 1, 'T', 'Bước', :s, :t, :p, 0)"),
                         {"id": task, "s": state, "t": now, "p": priority})
        conn.execute(text("INSERT INTO audit_log (id, seq, at, action, entity, entity_id, dossier_id, task_id, "
                          "detail, prev_hash, hash) VALUES (1, 1, :t, 'task_completed', 'task', 't-done', 1, "
                          "'t-done', :d, 'x', 'y')"),
                     {"t": now, "d": '{"bpmn_id": "T", "data": {"y_kien": "Đạt"}}'})
    upgrade(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, priority FROM tasks")).all())
        kept = conn.execute(text("SELECT submitted FROM tasks WHERE id = 't-done'")).scalar_one()
        fee = conn.execute(text("SELECT fee_exempted_at, fee_exemption_reason FROM dossiers")).one()
    assert rows == {"t-low": 0, "t-one": 1, "t-mid": 1, "t-high": 2, "t-done": 0}
    assert (kept if isinstance(kept, dict) else json.loads(kept)) == {"y_kien": "Đạt"}
    assert tuple(fee) == (None, None)
    command.downgrade(alembic_config(url), "0014")
    assert "submitted" not in {c["name"] for c in inspect(engine).get_columns("tasks")}
    engine.dispose()
