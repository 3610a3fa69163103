"""Sentences Caseflow writes (notifications, why a case waits, why a gate refused) are kept as
messages too, so each reader sees them in the language they chose

Revision ID: 0031i18n
Revises: 0031lists
Create Date: 2026-12-04 21:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0031i18n"
down_revision = "0031lists"
branch_labels = None
depends_on = None

COLUMNS = (
    ("notifications", "message"),
    ("cases", "queue_message"),
    ("gate_refusals", "messages"),
    ("exclusion_refusals", "messages"),
)


def upgrade():
    # Nullable: the rows written before keep their words, shown as they were written.
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
