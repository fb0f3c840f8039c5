"""Migrations run forward from the first schema with data in it, and back, on both databases."""

from __future__ import annotations

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
