"""audit chain keyed by MOTCUA_AUDIT_KEY: the head marks where plain SHA-256 entries end

Revision ID: 0012
Revises: 0011
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
# TEMPORARY: 0010 until branch i12-sandbox's 0011 is merged; the merge sets this back to '0011'.
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Entries written so far keep their SHA-256 hashes (the migration has no key to re-hash them with, and
    # re-hashing would only launder whatever was done to them); every entry after `legacy_until` is keyed.
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legacy_until', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE audit_head SET legacy_until = seq")


def downgrade() -> None:
    # The earlier versions' verifier knows SHA-256 only: entries keyed since will not verify with it.
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('legacy_until')
