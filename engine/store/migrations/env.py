"""Alembic environment: the URL comes from the caller (motcua db upgrade) or MOTCUA_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from engine import schema  # noqa: F401  (registers the tables)
from engine.config import Settings
from engine.store.db import Base, make_engine

config = context.config
url = config.attributes.get("url") or Settings().database_url
connection = config.attributes.get("connection")


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def run(conn: object) -> None:
        context.configure(connection=conn, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()

    if connection is not None:
        run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Batch migrations rebuild tables; SQLite would refuse to drop one that others reference.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
