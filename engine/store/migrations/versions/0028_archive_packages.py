"""archive packages: each ended dossier's .zip (documents, attachments, result, audit, signed manifest)

Revision ID: 0028
Revises: 0027
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import UTCDateTime

revision: str = '0028'
down_revision: Union[str, Sequence[str], None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('archive_packages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('keep_until', UTCDateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('verified_at', UTCDateTime(), nullable=True),
        sa.Column('purged_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'],
                                name=op.f('fk_archive_packages_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_packages')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_archive_packages_dossier_id'))
    )
    with op.batch_alter_table('archive_packages') as batch:
        batch.create_index('ix_archive_packages_state_keep', ['state', 'keep_until'], unique=False)
        batch.create_index(batch.f('ix_archive_packages_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('archive_packages') as batch:
        batch.drop_index(batch.f('ix_archive_packages_sha256'))
        batch.drop_index('ix_archive_packages_state_keep')
    op.drop_table('archive_packages')
