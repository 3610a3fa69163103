"""The exclusion gate: an out-of-school suspension or expulsion records the supports tried and
why an in-school alternative does not fit, may wait for a second administrator, and refused
attempts are kept; a harsher-than-usual consequence keeps its written reason

Revision ID: 0026exclusion
Revises: 0025removals
Create Date: 2026-12-04 16:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026exclusion"
down_revision = "0025removals"
branch_labels = None
depends_on = None

EXCLUSIONS = (
    "'Out of School Suspension', 'Expulsion', 'Expulsion with Services', "
    "'Expulsion under Guns Free School Act', 'Expulsion under Guns Free School Act with Services'"
)


def upgrade():
    with op.batch_alter_table("discipline_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("supports_tried", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("no_supports_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("in_school_alternative_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("harsher_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("gate_version", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("approval", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    # Actions recorded before the gate are history: never re-checked. New ones are not.
    with op.batch_alter_table("discipline_actions", schema=None) as batch_op:
        batch_op.alter_column("historical", server_default=sa.false())
        batch_op.create_foreign_key(
            op.f("fk_discipline_actions_approved_by_id_users"), "users", ["approved_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_discipline_actions_approval"), "approval IN ('pending', 'approved', 'denied')"
        )
        batch_op.create_check_constraint(
            op.f("ck_discipline_actions_exclusion_answers"),
            f"external_id IS NOT NULL OR historical OR action_code NOT IN ({EXCLUSIONS}) OR "
            "((supports_tried IS NOT NULL OR no_supports_reason IS NOT NULL) "
            "AND in_school_alternative_reason IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_discipline_actions_approver_not_recorder"),
            "approved_by_id IS NULL OR recorded_by_id IS NULL OR approved_by_id <> recorded_by_id",
        )
        batch_op.create_check_constraint(
            op.f("ck_discipline_actions_approval_decided_by"),
            "(approval IS NULL AND approved_by_id IS NULL) "
            "OR (approval = 'pending' AND approved_by_id IS NULL) "
            "OR (approval IN ('approved', 'denied') "
            "AND approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
        )
    op.create_table(
        "exclusion_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum("record", "approval", name="stage", native_enum=False, create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("action_code", sa.String(length=60), nullable=False),
        sa.Column("length_days", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["discipline_actions.id"],
            name=op.f("fk_exclusion_refusals_action_id_discipline_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_exclusion_refusals_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_exclusion_refusals_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_exclusion_refusals_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_exclusion_refusals_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_exclusion_refusals_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion_refusals")),
    )
    with op.batch_alter_table("exclusion_refusals", schema=None) as batch_op:
        batch_op.create_index("ix_exclusion_refusals_school_at", ["school_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_exclusion_refusals_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exclusion_refusals_student_id"), ["student_id"], unique=False)


def downgrade():
    op.drop_table("exclusion_refusals")
    with op.batch_alter_table("discipline_actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_discipline_actions_approval_decided_by"), type_="check")
        batch_op.drop_constraint(op.f("ck_discipline_actions_approver_not_recorder"), type_="check")
        batch_op.drop_constraint(op.f("ck_discipline_actions_exclusion_answers"), type_="check")
        batch_op.drop_constraint(op.f("ck_discipline_actions_approval"), type_="check")
        batch_op.drop_constraint(op.f("fk_discipline_actions_approved_by_id_users"), type_="foreignkey")
        for column in (
            "approved_at",
            "approved_by_id",
            "approval",
            "gate_version",
            "harsher_reason",
            "in_school_alternative_reason",
            "no_supports_reason",
            "supports_tried",
            "historical",
        ):
            batch_op.drop_column(column)
