"""The incidents another system reported to law enforcement, by time: a small partial index, so
that the reports counting historical referrals (the disparity monitor, the civil-rights counts)
read those few incidents instead of scanning every incident of the district.

Revision ID: 0032disparity
Revises: 0031rollup
Create Date: 2026-12-04 21:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0032disparity"
down_revision = "0031rollup"
branch_labels = None
depends_on = None

REPORTED = "reported_to_law_enforcement IS TRUE"


def upgrade():
    op.create_index(
        "ix_incidents_reported_occurred",
        "incidents",
        ["occurred_at"],
        unique=False,
        postgresql_where=sa.text(REPORTED),
        sqlite_where=sa.text(REPORTED),
    )


def downgrade():
    op.drop_index("ix_incidents_reported_occurred", table_name="incidents")
