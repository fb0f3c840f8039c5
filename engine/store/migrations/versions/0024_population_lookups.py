"""population look-ups: the log of questions to the national population database, and the right to ask

Revision ID: 0024
Revises: 0023
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType, UTCDateTime

revision: str = '0024'
down_revision: Union[str, Sequence[str], None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ROLE = {"code": "population_lookup", "name_vi": "Tra cứu CSDL quốc gia về dân cư",
        "name_en": "Population database look-up"}


def upgrade() -> None:
    op.create_table('population_lookups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('citizen_subject', sa.String(length=200), nullable=True),
        sa.Column('unit_code', sa.String(length=64), nullable=True),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('key_last', sa.String(length=4), nullable=False),
        sa.Column('purpose', sa.String(length=500), nullable=False),
        sa.Column('dossier_code', sa.String(length=64), nullable=True),
        sa.Column('reference', sa.String(length=120), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.Column('field_hashes', JSONType, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_population_lookups_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_population_lookups')))
    with op.batch_alter_table('population_lookups') as batch:
        batch.create_index(batch.f('ix_population_lookups_at'), ['at'], unique=False)
        batch.create_index(batch.f('ix_population_lookups_key_hash'), ['key_hash'], unique=False)
        batch.create_index(batch.f('ix_population_lookups_dossier_code'), ['dossier_code'], unique=False)
    # the right to ask is a role held in a unit (granted on the accounts page like any other)
    roles = sa.table('roles', sa.column('code', sa.String), sa.column('name_vi', sa.String),
                     sa.column('name_en', sa.String))
    op.bulk_insert(roles, [ROLE])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM memberships WHERE role_code = 'population_lookup'"))
    op.execute(sa.text("DELETE FROM roles WHERE code = 'population_lookup'"))
    op.drop_table('population_lookups')
