"""portal inbound: dossiers.portal_code (the national portal's MaHoSo, unique) and the documents it listed

Revision ID: 0021
Revises: 0020
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType

revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # nullable: dossiers registered in Motcua itself have no portal code (a unique index allows many NULLs)
    with op.batch_alter_table('dossiers') as batch:
        batch.add_column(sa.Column('portal_code', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('portal_documents', JSONType, nullable=True))
        batch.create_unique_constraint(batch.f('uq_dossiers_portal_code'), ['portal_code'])


def downgrade() -> None:
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_constraint(batch.f('uq_dossiers_portal_code'), type_='unique')
        batch.drop_column('portal_documents')
        batch.drop_column('portal_code')
