"""result timestamp renewal: when an issued result's last archive time stamp must be renewed (its TSA cert's end)

Revision ID: 0029
Revises: 0028
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import UTCDateTime

revision: str = '0029'
down_revision: Union[str, Sequence[str], None] = '0028'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # nullable: results issued before this revision are read from their PDF by the job the first time
    with op.batch_alter_table('result_documents') as batch:
        batch.add_column(sa.Column('timestamp_until', UTCDateTime(), nullable=True))
        batch.create_index('ix_result_documents_timestamp_until', ['state', 'timestamp_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('result_documents') as batch:
        batch.drop_index('ix_result_documents_timestamp_until')
        batch.drop_column('timestamp_until')
