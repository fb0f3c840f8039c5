"""counter intake: the documents handed in and what was missing, on the dossier; a unit's competent authority

Revision ID: 0015
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType

revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers') as batch:
        batch.add_column(sa.Column('received_documents', JSONType, nullable=True))
        batch.add_column(sa.Column('missing_documents', JSONType, nullable=True))
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('authority', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.drop_column('authority')
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_column('missing_documents')
        batch.drop_column('received_documents')
