"""The incident list in index order: a school's incidents, and a district's, by (occurred_at, id)

The school's index leads with the district: the list checks both (a person sees the schools they
serve in their own district), and reads ids and times from the index alone; on PostgreSQL it
carries the status too, so a list filtered by status is counted from the index.

Revision ID: 0031lists
Revises: 0032disparity
Create Date: 2026-12-04 20:45:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0031lists"
down_revision = "0032disparity"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_school_recent",
            ["district_id", "school_id", "occurred_at", "id"],
            unique=False,
            postgresql_include=["status"],
        )
        batch_op.create_index(
            "ix_incidents_district_recent", ["district_id", "occurred_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_district_recent")
        batch_op.drop_index("ix_incidents_school_recent")
