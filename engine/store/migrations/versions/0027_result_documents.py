"""result documents: a dossier's result issued electronically, signed by the leader and sealed by the unit

Revision ID: 0027
Revises: 0026
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import UTCDateTime

revision: str = '0027'
down_revision: Union[str, Sequence[str], None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('result_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=True),
        sa.Column('signed_id', sa.Integer(), nullable=True),
        sa.Column('leader_id', sa.Integer(), nullable=True),
        sa.Column('remote_transaction', sa.String(length=100), nullable=True),
        sa.Column('remote_state', sa.LargeBinary(), nullable=True),
        sa.Column('remote_requested_at', UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_result_documents_dossier_id_dossiers')),
        sa.ForeignKeyConstraint(['draft_id'], ['rendered_documents.id'],
                                name=op.f('fk_result_documents_draft_id_rendered_documents')),
        sa.ForeignKeyConstraint(['signed_id'], ['rendered_documents.id'],
                                name=op.f('fk_result_documents_signed_id_rendered_documents')),
        sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_result_documents_leader_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_documents')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_result_documents_dossier_id')),
        sa.UniqueConstraint('remote_transaction', name=op.f('uq_result_documents_remote_transaction'))
    )
    with op.batch_alter_table('result_documents') as batch:
        batch.create_index('ix_result_documents_state', ['state', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('result_documents') as batch:
        batch.drop_index('ix_result_documents_state')
    op.drop_table('result_documents')
