"""PostgreSQL: dossier states (already deflated by the application) stay inline, uncompressed

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A deflated state is 1-4 KB. By default PostgreSQL tries to compress it again (in vain) and moves it to the
    # TOAST table once a row passes 2 KB: a second table and index written on every step. Keep it in the row.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE dossiers ALTER COLUMN state SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE dossiers SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE dossiers ALTER COLUMN state SET STORAGE EXTENDED")
        op.execute("ALTER TABLE dossiers RESET (toast_tuple_target)")
