"""portal outbox: the dossier states to push to the national public service portal, in order per dossier

Revision ID: 0022
Revises: 0020
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType, UTCDateTime

revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_table('portal_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('payload', JSONType, nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('leased_until', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_portal_outbox_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_outbox'))
    )
    with op.batch_alter_table('portal_outbox') as batch:
        batch.create_index('ix_portal_outbox_pending', ['next_attempt_at'], unique=False,
                           postgresql_where=PENDING, sqlite_where=PENDING)
        batch.create_index('ix_portal_outbox_dossier_pending', ['dossier_id', 'id'], unique=False,
                           postgresql_where=PENDING, sqlite_where=PENDING)
        batch.create_index('ix_portal_outbox_dossier', ['dossier_id', 'id'], unique=False)
        batch.create_index('ix_portal_outbox_created', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_outbox') as batch:
        batch.drop_index('ix_portal_outbox_created')
        batch.drop_index('ix_portal_outbox_dossier')
        batch.drop_index('ix_portal_outbox_dossier_pending')
        batch.drop_index('ix_portal_outbox_pending')
    op.drop_table('portal_outbox')
