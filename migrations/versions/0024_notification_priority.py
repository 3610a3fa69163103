"""Notifications carry a priority (urgent, soon, routine): the bell's list leads with the urgent

Revision ID: 0024priority
Revises: 0023chains
Create Date: 2026-12-03 19:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024priority"
down_revision = "0023chains"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.String(length=10), nullable=False, server_default="routine")
        )
        batch_op.create_check_constraint(
            "ck_notifications_priority", "priority IN ('urgent', 'soon', 'routine')"
        )


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("ck_notifications_priority", type_="check")
        batch_op.drop_column("priority")
