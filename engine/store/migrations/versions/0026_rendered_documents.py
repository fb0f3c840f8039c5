"""rendered documents: official documents rendered as PDF/A, stored with their SHA-256

Revision ID: 0026
Revises: 0025
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import UTCDateTime

revision: str = '0026'
down_revision: Union[str, Sequence[str], None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('rendered_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('stored_path', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'],
                                name=op.f('fk_rendered_documents_dossier_id_dossiers')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_rendered_documents_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rendered_documents'))
    )
    with op.batch_alter_table('rendered_documents') as batch:
        batch.create_index(batch.f('ix_rendered_documents_dossier_id'), ['dossier_id'], unique=False)
        batch.create_index(batch.f('ix_rendered_documents_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rendered_documents') as batch:
        batch.drop_index(batch.f('ix_rendered_documents_sha256'))
        batch.drop_index(batch.f('ix_rendered_documents_dossier_id'))
    op.drop_table('rendered_documents')
