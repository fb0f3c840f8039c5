"""job heartbeats: each scheduler job's last successful run, for /healthz

Revision ID: 0013
Revises: 0012
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from engine.store.db import UTCDateTime

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('job_heartbeats',
        sa.Column('job', sa.String(length=32), nullable=False),
        sa.Column('interval_seconds', sa.Float(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('last_success_at', UTCDateTime(), nullable=True),
        sa.Column('last_failure_at', UTCDateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('worker', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('job', name=op.f('pk_job_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('job_heartbeats')
