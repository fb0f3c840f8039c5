"""open-task counts per unit and role, kept by triggers on tasks as append-only deltas

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A task counts while its state is 'open'; each change of that (or of its unit or role) appends -1 for the old
# row and +1 for the new one. Appending, not updating one counter row, means no transaction waits on another.
PG_FUNCTION = """
CREATE FUNCTION tasks_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.state = 'open' THEN
    INSERT INTO open_task_counts (unit_code, role, n) VALUES (OLD.unit_code, OLD.role, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.state = 'open' THEN
    INSERT INTO open_task_counts (unit_code, role, n) VALUES (NEW.unit_code, NEW.role, 1);
  END IF;
  RETURN NULL;
END $$
"""
PG_TRIGGERS = [
    "CREATE TRIGGER tasks_open_count_insert AFTER INSERT ON tasks FOR EACH ROW "
    "WHEN (NEW.state = 'open') EXECUTE FUNCTION tasks_open_count()",
    "CREATE TRIGGER tasks_open_count_delete AFTER DELETE ON tasks FOR EACH ROW "
    "WHEN (OLD.state = 'open') EXECUTE FUNCTION tasks_open_count()",
    "CREATE TRIGGER tasks_open_count_update AFTER UPDATE OF state, unit_code, role ON tasks FOR EACH ROW "
    "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.unit_code IS DISTINCT FROM NEW.unit_code "
    "OR OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION tasks_open_count()",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER tasks_open_count_insert AFTER INSERT ON tasks WHEN NEW.state = 'open' BEGIN "
    "INSERT INTO open_task_counts (unit_code, role, n) VALUES (NEW.unit_code, NEW.role, 1); END",
    "CREATE TRIGGER tasks_open_count_delete AFTER DELETE ON tasks WHEN OLD.state = 'open' BEGIN "
    "INSERT INTO open_task_counts (unit_code, role, n) VALUES (OLD.unit_code, OLD.role, -1); END",
    "CREATE TRIGGER tasks_open_count_update AFTER UPDATE OF state, unit_code, role ON tasks "
    "WHEN OLD.state IS NOT NEW.state OR OLD.unit_code IS NOT NEW.unit_code OR OLD.role IS NOT NEW.role BEGIN "
    "INSERT INTO open_task_counts (unit_code, role, n) SELECT OLD.unit_code, OLD.role, -1 WHERE OLD.state = 'open'; "
    "INSERT INTO open_task_counts (unit_code, role, n) SELECT NEW.unit_code, NEW.role, 1 WHERE NEW.state = 'open'; "
    "END",
]
TRIGGER_NAMES = ("tasks_open_count_insert", "tasks_open_count_delete", "tasks_open_count_update")


def upgrade() -> None:
    op.create_table('open_task_counts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=True),
        sa.Column('role', sa.String(length=64), nullable=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_open_task_counts'))
    )
    op.create_index('ix_open_task_counts_unit', 'open_task_counts', ['unit_code', 'role'], unique=False)
    op.execute("INSERT INTO open_task_counts (unit_code, role, n) "
               "SELECT unit_code, role, count(*) FROM tasks WHERE state = 'open' GROUP BY unit_code, role")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON tasks" if op.get_bind().dialect.name == "postgresql"
                                                       else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tasks_open_count()")
    op.drop_index('ix_open_task_counts_unit', table_name='open_task_counts')
    op.drop_table('open_task_counts')
