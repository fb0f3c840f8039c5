"""PostgreSQL: a trigram index for the inbox's search without diacritics (LIKE '%...%' on open tasks)

Revision ID: 0010
Revises: 0009
"""
import logging
from typing import Sequence, Union

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    # A substring search over a province's open tasks otherwise reads every row. pg_trgm ships with PostgreSQL
    # (contrib) and is a trusted extension: the database's owner may create it. Where it cannot be created,
    # search keeps working, only without the index.
    if op.get_bind().dialect.name != "postgresql":
        return
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm is not available (%s); the inbox search runs without its index", exc.orig)
        return
    op.execute("CREATE INDEX ix_tasks_open_search ON tasks USING gin (search_text gin_trgm_ops) "
               "WHERE state = 'open'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_open_search")
