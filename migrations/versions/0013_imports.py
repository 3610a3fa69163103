"""imports: import runs, external ids of staff and incidents

Revision ID: 0013imports
Revises: 0012discipline
Create Date: 2026-11-24 14:35:41.086531

"""
from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = '0013imports'
down_revision = '0012discipline'
branch_labels = None
depends_on = None


def upgrade():
   
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('source_format', sa.Enum('edfi', 'oneroster', name='source_format', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.Enum('committed', 'refused', name='outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('accept_partial', sa.Boolean(), nullable=False),
    sa.Column('started_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('rejects', sa.JSON(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_import_runs_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_district_id'), ['district_id'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_incidents_district_id_external_id'), ['district_id', 'external_id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=60), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_district_id_external_id'), ['district_id', 'external_id'])




def downgrade():
   
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_district_id_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_incidents_district_id_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_district_id'))

    op.drop_table('import_runs')

