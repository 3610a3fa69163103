"""Ed-Fi round trip: an imported incident keeps what its source records (reported to law
enforcement, the case number, the reporter's name, its Ed-Fi behaviors, and each student's)

Revision ID: 0022edfi
Revises: 0021search
Create Date: 2026-12-03 18:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022edfi"
down_revision = "0021search"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs: no table is rebuilt on SQLite.
    op.add_column(
        "incidents",
        sa.Column("reported_to_law_enforcement", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("incidents", sa.Column("law_enforcement_case_number", sa.String(length=20), nullable=True))
    op.add_column("incidents", sa.Column("reporter_name", sa.String(length=75), nullable=True))
    op.add_column("incidents", sa.Column("edfi_behaviors", sa.JSON(), nullable=True))
    op.add_column("incident_students", sa.Column("edfi_behaviors", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("incident_students", schema=None) as batch_op:
        batch_op.drop_column("edfi_behaviors")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("edfi_behaviors")
        batch_op.drop_column("reporter_name")
        batch_op.drop_column("law_enforcement_case_number")
        batch_op.drop_column("reported_to_law_enforcement")
