"""payment transactions: online payments of a dossier's fee through the national payment platform

Revision ID: 0025
Revises: 0024
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType, UTCDateTime

revision: str = '0025'
down_revision: Union[str, Sequence[str], None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('payment_transactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('tracking_code', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('lines', JSONType, nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('platform_ref', sa.String(length=64), nullable=True),
        sa.Column('pay_url', sa.Text(), nullable=True),
        sa.Column('receipt', JSONType, nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('settled_by', sa.String(length=16), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('settled_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'],
                                name=op.f('fk_payment_transactions_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
        sa.UniqueConstraint('tracking_code', name=op.f('uq_payment_transactions_tracking_code'))
    )
    with op.batch_alter_table('payment_transactions') as batch:
        batch.create_index('ix_payment_transactions_state', ['state', 'created_at'], unique=False)
        batch.create_index(batch.f('ix_payment_transactions_dossier_id'), ['dossier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_transactions') as batch:
        batch.drop_index(batch.f('ix_payment_transactions_dossier_id'))
        batch.drop_index('ix_payment_transactions_state')
    op.drop_table('payment_transactions')
