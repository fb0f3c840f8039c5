"""publish requests: a draft published only once a second person approves (MOTCUA_PUBLISH_APPROVAL=1)

Revision ID: 0019
Revises: 0018
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import UTCDateTime

revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('publish_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('procedure_code', sa.String(length=64), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['procedure_code'], ['procedures.code'],
                                name=op.f('fk_publish_requests_procedure_code_procedures')),
        sa.ForeignKeyConstraint(['version_id'], ['procedure_versions.id'],
                                name=op.f('fk_publish_requests_version_id_procedure_versions')),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_publish_requests_requested_by_users')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_publish_requests_decided_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publish_requests'))
    )
    with op.batch_alter_table('publish_requests') as batch:
        batch.create_index(batch.f('ix_publish_requests_procedure_code'), ['procedure_code'], unique=False)
        batch.create_index(batch.f('ix_publish_requests_version_id'), ['version_id'], unique=False)
        batch.create_index('uq_publish_requests_pending', ['version_id'], unique=True,
                           postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table('publish_requests') as batch:
        batch.drop_index('uq_publish_requests_pending')
        batch.drop_index(batch.f('ix_publish_requests_version_id'))
        batch.drop_index(batch.f('ix_publish_requests_procedure_code'))
    op.drop_table('publish_requests')
