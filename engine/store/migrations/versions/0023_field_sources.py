"""field sources: dossiers.field_sources, which applicant field came from which national source

Revision ID: 0023
Revises: 0022
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType

revision: str = '0023'
down_revision: Union[str, Sequence[str], None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # {"name": "vneid", "address": "population", ...}; NULL: every field was typed (or reused from Motcua only)
    with op.batch_alter_table('dossiers') as batch:
        batch.add_column(sa.Column('field_sources', JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_column('field_sources')
