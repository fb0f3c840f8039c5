"""the dossier register's indexes: a unit's dossiers by received time (reception or competent unit), all of
them by received and by finished time, carrying the register's filter columns on PostgreSQL (INCLUDE), and on
PostgreSQL a trigram index for the search without diacritics over codes, names and keys

Revision ID: 0016
Revises: 0014
"""
import logging
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")
# as engine/dossiers/models.py's REGISTER_COLUMNS when this migration was written (frozen here)
CARRIED = ['reception_unit', 'competent_unit', 'status', 'channel', 'procedure_code', 'due_at', 'finished_at',
           'paused_at', 'search_text']
HANDLED_ELSEWHERE = "reception_unit IS NULL OR competent_unit <> reception_unit"


def upgrade() -> None:
    # The unit alone served "a unit's dossiers"; (unit, received_at, id) also hands out a unit's register in
    # order, so the single-column indexes go (one index fewer to keep up on every write).
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_index('ix_dossiers_reception_unit')
        batch.drop_index('ix_dossiers_competent_unit')
        batch.drop_index('ix_dossiers_received')
        batch.create_index('ix_dossiers_received', ['received_at', 'id'], unique=False,
                           postgresql_include=CARRIED)
        batch.create_index('ix_dossiers_reception_received', ['reception_unit', 'received_at', 'id'], unique=False,
                           postgresql_include=CARRIED)
        batch.create_index('ix_dossiers_competent_received', ['competent_unit', 'received_at', 'id'], unique=False,
                           postgresql_include=CARRIED, postgresql_where=sa.text(HANDLED_ELSEWHERE),
                           sqlite_where=sa.text(HANDLED_ELSEWHERE))
        batch.create_index('ix_dossiers_finished', ['finished_at', 'id'], unique=False,
                           postgresql_include=['reception_unit', 'competent_unit'])
    if op.get_bind().dialect.name != "postgresql":
        return
    bind = op.get_bind()
    try:  # as in 0010: pg_trgm is a trusted extension; without it the search works, unindexed
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm is not available (%s); the register's search runs without its index", exc.orig)
        return
    op.execute("CREATE INDEX ix_dossiers_search ON dossiers USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_dossiers_search")
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_index('ix_dossiers_finished')
        batch.drop_index('ix_dossiers_competent_received')
        batch.drop_index('ix_dossiers_reception_received')
        batch.drop_index('ix_dossiers_received')
        batch.create_index('ix_dossiers_received', ['received_at'], unique=False)
        batch.create_index('ix_dossiers_competent_unit', ['competent_unit'], unique=False)
        batch.create_index('ix_dossiers_reception_unit', ['reception_unit'], unique=False)
