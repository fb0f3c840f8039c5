"""supplement requests: what is missing, the guidance, the applicant's answer online; attachments sent for one

Revision ID: 0018
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType, UTCDateTime

revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('supplement_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('documents', JSONType, nullable=False),
        sa.Column('missing', JSONType, nullable=False),
        sa.Column('guidance', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('submitted_at', UTCDateTime(), nullable=True),
        sa.Column('applicant_note', sa.Text(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'],
                                name=op.f('fk_supplement_requests_dossier_id_dossiers')),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'],
                                name=op.f('fk_supplement_requests_requested_by_users')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_supplement_requests_decided_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supplement_requests'))
    )
    with op.batch_alter_table('supplement_requests') as batch:
        batch.create_index(batch.f('ix_supplement_requests_dossier_id'), ['dossier_id'], unique=False)
    with op.batch_alter_table('attachments') as batch:
        batch.add_column(sa.Column('supplement_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_attachments_supplement_id_supplement_requests'), 'supplement_requests',
                                 ['supplement_id'], ['id'])
        batch.create_index(batch.f('ix_attachments_supplement_id'), ['supplement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachments') as batch:
        batch.drop_index(batch.f('ix_attachments_supplement_id'))
        batch.drop_constraint(batch.f('fk_attachments_supplement_id_supplement_requests'), type_='foreignkey')
        batch.drop_column('supplement_id')
    with op.batch_alter_table('supplement_requests') as batch:
        batch.drop_index(batch.f('ix_supplement_requests_dossier_id'))
    op.drop_table('supplement_requests')
