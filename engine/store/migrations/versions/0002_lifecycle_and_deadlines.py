"""lifecycle and deadlines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:17:01.581570

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from engine.store.db import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('lookup_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', UTCDateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lookup_failures'))
    )
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_calendar_overrides_updated_by_users')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_overrides'))
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_unit_code'))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.alter_column('unit_code', new_column_name='reception_unit', existing_type=sa.String(length=64))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competent_unit', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pin_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('received_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('due_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('processed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('resume_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('supplement_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('fee_amount', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_required_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paid_online', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rating_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rated_at', UTCDateTime(), nullable=True))
        batch_op.alter_column('state',
               existing_type=sa.LargeBinary(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_dossiers_competent_unit'), ['competent_unit'], unique=False)
        batch_op.create_index('ix_dossiers_open_due', ['due_at'], unique=False, postgresql_where=sa.text('finished_at IS NULL'), sqlite_where=sa.text('finished_at IS NULL'))
        batch_op.create_index('ix_dossiers_received', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_reception_unit'), ['reception_unit'], unique=False)

    # Dossiers of the first schema were received when created: their workflow started at once.
    op.execute("UPDATE dossiers SET received_at = created_at WHERE received_at IS NULL")

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_time', sa.Boolean(), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('on_time')

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_reception_unit'))
        batch_op.drop_index('ix_dossiers_received')
        batch_op.drop_index('ix_dossiers_open_due', postgresql_where=sa.text('finished_at IS NULL'), sqlite_where=sa.text('finished_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_dossiers_competent_unit'))
        batch_op.alter_column('state',
               existing_type=sa.LargeBinary(),
               nullable=False)
        batch_op.drop_column('rated_at')
        batch_op.drop_column('rating_comment')
        batch_op.drop_column('rating')
        batch_op.drop_column('paid_online')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('payment_required_at')
        batch_op.drop_column('fee_amount')
        batch_op.drop_column('supplement_count')
        batch_op.drop_column('resume_status')
        batch_op.drop_column('paused_seconds')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('processed_at')
        batch_op.drop_column('due_at')
        batch_op.drop_column('received_at')
        batch_op.drop_column('pin_hash')
        batch_op.drop_column('competent_unit')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.alter_column('reception_unit', new_column_name='unit_code', existing_type=sa.String(length=64))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_unit_code'), ['unit_code'], unique=False)

    op.drop_table('calendar_overrides')
    op.drop_table('lookup_failures')
