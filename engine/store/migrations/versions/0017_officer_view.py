"""what officers see: each completed step's submitted data, a task's saved draft (who, when), the named
priority scale, and a leader's fee exemption

Revision ID: 0017
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType, UTCDateTime

revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5_000
# Priorities were any integer from -100 to 100 (higher first); now 0 normal, 1 urgent, 2 most urgent. The
# order is kept: nothing raised stays normal, a raise up to 50 is urgent, above 50 most urgent (as
# engine/dossiers/priorities.from_legacy reads an integer a procedure still gives; frozen here).
PRIORITY_SCALE = "CASE WHEN priority <= 0 THEN 0 WHEN priority <= 50 THEN 1 ELSE 2 END"


def _foreign_key(table: str, column: str) -> None:
    # SQLite would rebuild the whole table to add a constraint (and enforces none by default): there the
    # column is a plain integer, as the engine writes only users' ids into it.
    if op.get_bind().dialect.name != 'sqlite':
        op.create_foreign_key(f'fk_{table}_{column}_users', table, 'users', [column], ['id'])


def upgrade() -> None:
    op.add_column('tasks', sa.Column('submitted', JSONType, nullable=True))
    op.add_column('tasks', sa.Column('draft_by', sa.Integer(), nullable=True))
    op.add_column('tasks', sa.Column('draft_at', UTCDateTime(), nullable=True))
    _foreign_key('tasks', 'draft_by')
    op.add_column('dossiers', sa.Column('fee_exempted_at', UTCDateTime(), nullable=True))
    op.add_column('dossiers', sa.Column('fee_exempted_by', sa.Integer(), nullable=True))
    op.add_column('dossiers', sa.Column('fee_exemption_reason', sa.Text(), nullable=True))
    _foreign_key('dossiers', 'fee_exempted_by')
    op.execute(f"UPDATE tasks SET priority = {PRIORITY_SCALE} WHERE priority <> 0")
    _keep_submitted_data()


def _keep_submitted_data() -> None:
    """Steps completed before: their data is in the audit trail's `task_completed` entries (the entries
    themselves are not changed, so the keyed chain still verifies)."""
    bind = op.get_bind()
    audit = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('action', sa.String),
                     sa.column('task_id', sa.String), sa.column('detail', JSONType))
    tasks = sa.table('tasks', sa.column('id', sa.String), sa.column('submitted', JSONType))
    last = 0
    while True:
        rows = bind.execute(sa.select(audit.c.id, audit.c.task_id, audit.c.detail)
                            .where(audit.c.id > last, audit.c.action == 'task_completed')
                            .order_by(audit.c.id).limit(BATCH)).all()
        if not rows:
            break
        found = [{'_id': r.task_id, '_data': r.detail['data']} for r in rows
                 if r.task_id and isinstance(r.detail, dict) and isinstance(r.detail.get('data'), dict)]
        if found:
            bind.execute(tasks.update().where(tasks.c.id == sa.bindparam('_id'))
                         .values(submitted=sa.bindparam('_data', type_=JSONType)), found)
        last = rows[-1].id


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in (('dossiers', ('fee_exemption_reason', 'fee_exempted_by', 'fee_exempted_at')),
                           ('tasks', ('draft_at', 'draft_by', 'submitted'))):
        if not sqlite:
            op.drop_constraint(f'fk_{table}_{columns[1]}_users', table, type_='foreignkey')
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
