"""search names: a folded search key on students and staff (casefold, no accents, CJK names
with and without spaces), filled here for every existing row

Revision ID: 0021search
Revises: 0017faults
Create Date: 2026-12-03 18:30:00

"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021search'
down_revision = '0017faults'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_name', sa.String(length=1000), server_default='', nullable=False)
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_name', sa.String(length=500), server_default='', nullable=False)
        )
    _backfill()


def _backfill():
    from caseflow.people.names import student_key, user_key

    conn = op.get_bind()
    for table, columns, key in (
        ('students', ('first_name', 'middle_name', 'last_name', 'preferred_name'), student_key),
        ('users', ('full_name',), user_key),
    ):
        select = sa.text(f"SELECT id, {', '.join(columns)} FROM {table} ORDER BY id")
        rows = conn.execute(select).mappings().all()
        update = sa.text(f"UPDATE {table} SET search_name = :key WHERE id = :id")
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            conn.execute(update, [{'id': r['id'], 'key': key(SimpleNamespace(**r))} for r in batch])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_column('search_name')
