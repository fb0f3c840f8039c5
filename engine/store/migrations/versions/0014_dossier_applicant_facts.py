"""dossier applicant facts: kind, personal id or tax code, folded search text; result delivery; reused data

Revision ID: 0014
Revises: 0013
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from engine.store.db import JSONType
from engine.text import fold

revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5_000


def applicant_facts(code: str, applicant: dict) -> tuple[str, str | None, str]:
    """As engine/dossiers/applicants.py computed them when this migration was written (frozen here)."""
    kind = applicant.get('kind') if applicant.get('kind') in ('person', 'business') else 'person'
    key = applicant.get('tax_code') if kind == 'business' else applicant.get('id_number')
    key = key if isinstance(key, str) and key else None
    parts = [code, applicant.get('name'), applicant.get('representative'), key]
    return kind, key, fold(' '.join(p for p in parts if isinstance(p, str) and p))[:400]


def upgrade() -> None:
    with op.batch_alter_table('dossiers') as batch:
        batch.add_column(sa.Column('applicant_kind', sa.String(length=16), server_default='person', nullable=False))
        batch.add_column(sa.Column('applicant_key', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('search_text', sa.String(length=400), server_default='', nullable=False))
        batch.add_column(sa.Column('result_delivery', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('reused_fields', JSONType, nullable=True))
        batch.create_index(batch.f('ix_dossiers_applicant_key'), ['applicant_key'], unique=False)
    # existing dossiers: the facts from their applicant, in batches (a province has millions)
    bind = op.get_bind()
    dossiers = sa.table('dossiers', sa.column('id', sa.Integer), sa.column('code', sa.String),
                        sa.column('applicant', JSONType), sa.column('applicant_kind', sa.String),
                        sa.column('applicant_key', sa.String), sa.column('search_text', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(dossiers.c.id, dossiers.c.code, dossiers.c.applicant)
                            .where(dossiers.c.id > last).order_by(dossiers.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(dossiers.update().where(dossiers.c.id == sa.bindparam('_id')).values(
            applicant_kind=sa.bindparam('_kind'), applicant_key=sa.bindparam('_key'),
            search_text=sa.bindparam('_text')), [
            {'_id': r.id, '_kind': kind, '_key': key, '_text': text}
            for r in rows for kind, key, text in [applicant_facts(r.code, r.applicant or {})]])
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_index(batch.f('ix_dossiers_applicant_key'))
        for column in ('reused_fields', 'result_delivery', 'search_text', 'applicant_key', 'applicant_kind'):
            batch.drop_column(column)
