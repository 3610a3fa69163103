"""Incidents by behavior from one index: each incident_behaviors row carries a copy of its
incident's school and time (kept equal by a foreign key onto incidents (id, school_id,
occurred_at), ON UPDATE CASCADE), filled here for every existing row, with an index on
(school_id, occurred_at, behavior_code) for the dashboards.

On PostgreSQL the fill rewrites every row of incident_behaviors once; autovacuum (or a VACUUM
after the upgrade) then lets the dashboards read the new index alone.

Revision ID: 0031rollup
Revises: 0028language
Create Date: 2026-12-04 20:50:00

"""

from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = "0031rollup"
down_revision = "0028language"
branch_labels = None
depends_on = None


def upgrade():
    # What the copies refer to.
    op.create_index(
        "uq_incidents_id_school_occurred", "incidents", ["id", "school_id", "occurred_at"], unique=True
    )
    op.add_column("incident_behaviors", sa.Column("school_id", sa.Integer(), nullable=True))
    op.add_column(
        "incident_behaviors",
        sa.Column("occurred_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE incident_behaviors b SET school_id = i.school_id, occurred_at = i.occurred_at "
            "FROM incidents i WHERE i.id = b.incident_id"
        )
    else:
        op.execute(
            "UPDATE incident_behaviors SET (school_id, occurred_at) = "
            "(SELECT i.school_id, i.occurred_at FROM incidents i WHERE i.id = incident_behaviors.incident_id)"
        )
    with op.batch_alter_table("incident_behaviors", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            "occurred_at", existing_type=caseflow.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_foreign_key(
            "fk_incident_behaviors_incident_school_occurred",
            "incidents",
            ["incident_id", "school_id", "occurred_at"],
            ["id", "school_id", "occurred_at"],
            onupdate="CASCADE",
        )
        batch_op.create_index(
            "ix_incident_behaviors_school_occurred_behavior",
            ["school_id", "occurred_at", "behavior_code"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("incident_behaviors", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_behaviors_school_occurred_behavior")
        batch_op.drop_constraint("fk_incident_behaviors_incident_school_occurred", type_="foreignkey")
        batch_op.drop_column("occurred_at")
        batch_op.drop_column("school_id")
    op.drop_index("uq_incidents_id_school_occurred", table_name="incidents")
