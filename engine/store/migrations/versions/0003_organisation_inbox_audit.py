"""organisation (units, roles, memberships), inbox columns on tasks, hash-chained audit log

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from engine.store.audit import entry_hash
from engine.store.db import UTCDateTime
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
GENESIS = "0" * 64
ROLES = [
    ("reception", "Bộ phận tiếp nhận và trả kết quả", "Reception"),
    ("specialist", "Chuyên viên xử lý", "Specialist"),
    ("leader", "Lãnh đạo", "Leader"),
    ("reform_officer", "Cán bộ cải cách hành chính", "Reform officer"),
    ("designer", "Người thiết kế quy trình", "Procedure designer"),
    ("admin", "Quản trị hệ thống", "Administrator"),
]


def upgrade() -> None:
    op.create_table('units',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('parent_code', sa.String(length=64), nullable=True),
        sa.Column('address', sa.String(length=500), nullable=True),
        sa.Column('phone', sa.String(length=50), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['parent_code'], ['units.code'], name=op.f('fk_units_parent_code_units')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_units')))
    roles = op.create_table('roles',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name_vi', sa.String(length=200), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_roles')))
    op.bulk_insert(roles, [{"code": c, "name_vi": vi, "name_en": en} for c, vi, en in ROLES])
    op.create_table('memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=False),
        sa.Column('role_code', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['role_code'], ['roles.code'], name=op.f('fk_memberships_role_code_roles')),
        sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_memberships_unit_code_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
        sa.UniqueConstraint('user_id', 'unit_code', 'role_code', name=op.f('uq_memberships_user_id')))
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_unit_code'), ['unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    _users_to_memberships()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch_op.drop_column('roles')
        batch_op.drop_column('unit_code')

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handler_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_dossiers_handler_id_users'), 'users', ['handler_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_dossiers_handler_id'), ['handler_id'], unique=False)
    op.execute("UPDATE dossiers SET handler_id = created_by")

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claimed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('draft', JSON, nullable=True))
        batch_op.add_column(sa.Column('dossier_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('procedure_code', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('applicant_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('search_text', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_foreign_key(op.f('fk_tasks_owner_id_users'), 'users', ['owner_id'], ['id'])
        batch_op.drop_index('ix_tasks_open_role', sqlite_where=sa.text("state = 'open'"),
                            postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_tasks_inbox', ['unit_code', 'role', 'due_at'], unique=False,
                              postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_tasks_assignee', ['assignee_id', 'due_at'], unique=False,
                              postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    op.execute("UPDATE tasks SET dossier_code = (SELECT code FROM dossiers WHERE dossiers.id = tasks.dossier_id), "
               "procedure_code = (SELECT procedure_code FROM dossiers WHERE dossiers.id = tasks.dossier_id), "
               "applicant_name = (SELECT applicant_name FROM dossiers WHERE dossiers.id = tasks.dossier_id)")
    op.execute("UPDATE tasks SET search_text = LOWER(dossier_code || ' ' || applicant_name)")

    audit = op.create_table('audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_unit', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=48), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('entity_id', sa.String(length=100), nullable=True),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('step', sa.String(length=500), nullable=True),
        sa.Column('before', JSON, nullable=True),
        sa.Column('after', JSON, nullable=True),
        sa.Column('detail', JSON, nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_audit_log_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
        sa.UniqueConstraint('seq', name=op.f('uq_audit_log_seq')))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_dossier_id'), ['dossier_id'], unique=False)
    head = op.create_table('audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')))
    _events_to_audit(audit, head)
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_events_dossier_id'))
    op.drop_table('dossier_events')


def _users_to_memberships() -> None:
    """Roles and the unit that lived on each account become memberships (a unit row is made as needed)."""
    conn = op.get_bind()
    users = conn.execute(sa.text("SELECT id, roles, unit_code FROM users")).all()
    units: set[str] = set()
    for user_id, roles, unit in users:
        roles = roles if isinstance(roles, list) else __import__("json").loads(roles or "[]")
        unit = unit or "TINH"
        if unit not in units:
            conn.execute(sa.text("INSERT INTO units (code, name, level, active) VALUES (:c, :n, :l, :a)"),
                         {"c": unit, "n": unit, "l": "province" if unit == "TINH" else "commune", "a": True})
            units.add(unit)
        for role in roles:
            conn.execute(sa.text("INSERT INTO memberships (user_id, unit_code, role_code, created_at) "
                                 "VALUES (:u, :c, :r, CURRENT_TIMESTAMP)"), {"u": user_id, "c": unit, "r": role})


def _events_to_audit(audit: sa.Table, head: sa.Table) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT e.id, e.dossier_id, e.at, e.actor_id, e.kind, e.task_id, e.step, e.detail, d.code "
        "FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id ORDER BY e.id")).all()
    prev, seq, entries = GENESIS, 0, []
    for _id, dossier_id, at, actor_id, kind, task_id, step, detail, code in rows:
        seq += 1
        if isinstance(detail, str):
            detail = __import__("json").loads(detail)
        if isinstance(at, str):
            at = __import__("datetime").datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=__import__("datetime").timezone.utc)
        values = {"seq": seq, "at": at, "actor_id": actor_id, "actor_unit": None, "action": kind,
                  "entity": "dossier", "entity_id": code, "dossier_id": dossier_id, "task_id": task_id,
                  "step": step, "before": None, "after": None, "detail": detail or {}, "prev_hash": prev}
        values["hash"] = prev = entry_hash(values)
        entries.append(values)
    if entries:
        op.bulk_insert(audit, entries)
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": prev}])


def downgrade() -> None:
    op.create_table('dossier_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('step', sa.String(length=500), nullable=True),
        sa.Column('detail', JSON, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dossier_events_actor_id_users')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_events_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_events')))
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_events_dossier_id'), ['dossier_id'], unique=False)
    op.execute("INSERT INTO dossier_events (dossier_id, at, actor_id, kind, task_id, step, detail) "
               "SELECT dossier_id, at, actor_id, action, task_id, step, detail FROM audit_log "
               "WHERE dossier_id IS NOT NULL ORDER BY seq")
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_dossier_id'))
    op.drop_table('audit_log')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_assignee', sqlite_where=sa.text("state = 'open'"),
                            postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index('ix_tasks_inbox', sqlite_where=sa.text("state = 'open'"),
                            postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_tasks_open_role', ['role', 'created_at'], unique=False,
                              postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.drop_constraint(op.f('fk_tasks_owner_id_users'), type_='foreignkey')
        for column in ('search_text', 'applicant_name', 'procedure_code', 'dossier_code', 'draft', 'owner_id',
                       'claimed_at', 'priority'):
            batch_op.drop_column(column)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_handler_id'))
        batch_op.drop_constraint(op.f('fk_dossiers_handler_id_users'), type_='foreignkey')
        batch_op.drop_column('handler_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles', JSON, nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('unit_code', sa.String(length=64), nullable=True))
        batch_op.drop_column('email')
    op.execute("UPDATE users SET roles = '[]'")
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_unit_code'))
    op.drop_table('memberships')
    op.drop_table('roles')
    op.drop_table('units')
