"""One restorative process per conflict: a process is linked to the case of each student of
its incident (restorative_process_cases); a case is in at most one process under way.

Each existing process is linked to its own case.

Revision ID: 0030conflict
Revises: 0029notices
Create Date: 2026-12-04 16:30:00

"""

from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = "0030conflict"
down_revision = "0029notices"
branch_labels = None
depends_on = None


def upgrade():
    # What the links refer to, so that their copy of the status follows the process's.
    op.create_index(
        "uq_restorative_processes_id_status", "restorative_processes", ["id", "status"], unique=True
    )
    op.create_table(
        "restorative_process_cases",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("process_status", sa.String(length=12), nullable=False),
        sa.Column("linked_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_restorative_process_cases_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["process_id", "process_status"],
            ["restorative_processes.id", "restorative_processes.status"],
            name="fk_restorative_process_cases_process",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("process_id", "case_id", name=op.f("pk_restorative_process_cases")),
    )
    with op.batch_alter_table("restorative_process_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restorative_process_cases_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "uq_restorative_process_cases_open_case",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("process_status <> 'closed'"),
            postgresql_where=sa.text("process_status <> 'closed'"),
        )
    op.execute(
        "INSERT INTO restorative_process_cases (process_id, case_id, process_status, linked_at) "
        "SELECT id, case_id, status, started_at FROM restorative_processes"
    )


def downgrade():
    with op.batch_alter_table("restorative_process_cases", schema=None) as batch_op:
        batch_op.drop_index("uq_restorative_process_cases_open_case")
        batch_op.drop_index(batch_op.f("ix_restorative_process_cases_case_id"))
    op.drop_table("restorative_process_cases")
    op.drop_index("uq_restorative_processes_id_status", table_name="restorative_processes")
