"""Guardian notices: a contact records the notice it sent (kind, delivery, e-mail); the outbox
keeps an e-mail's language and its bounce; no contact is ever written for a guardian under a
no-contact order (a trigger, on SQLite and PostgreSQL alike)

Revision ID: 0029notices
Revises: 0026exclusion
Create Date: 2026-12-04 16:24:45

"""

from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = "0029notices"
down_revision = "0026exclusion"
branch_labels = None
depends_on = None

NO_CONTACT_MESSAGE = "this guardian is under a no-contact order and must not be contacted"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION guardian_contacts_no_contact() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM student_guardians
               WHERE id = NEW.link_id AND legal_restriction = 'no_contact') THEN
        RAISE EXCEPTION '{NO_CONTACT_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_TRIGGER = f"""
CREATE TRIGGER guardian_contacts_no_contact BEFORE INSERT ON guardian_contacts
WHEN (SELECT legal_restriction FROM student_guardians WHERE id = NEW.link_id) = 'no_contact'
BEGIN
    SELECT RAISE(ABORT, '{NO_CONTACT_MESSAGE}');
END;
"""


def upgrade():
    with op.batch_alter_table("guardian_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "delivery",
                sa.Enum("sent", "delivered", "bounced", name="delivery", native_enum=False, create_constraint=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("outbox_message_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_guardian_contacts_outbox_message_id"), ["outbox_message_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_guardian_contacts_outbox_message_id_outbox_messages"),
            "outbox_messages",
            ["outbox_message_id"],
            ["id"],
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("bounced_at", caseflow.db.UTCDateTime(timezone=True), nullable=True))

    # A contact (a call, a meeting, a notice sent) with a guardian under a no-contact order is
    # refused by the database too, whichever door it came through.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER guardian_contacts_no_contact BEFORE INSERT OR UPDATE OF link_id "
            "ON guardian_contacts FOR EACH ROW EXECUTE FUNCTION guardian_contacts_no_contact()"
        )
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS guardian_contacts_no_contact ON guardian_contacts")
        op.execute("DROP FUNCTION IF EXISTS guardian_contacts_no_contact()")
    else:
        op.execute("DROP TRIGGER IF EXISTS guardian_contacts_no_contact")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("content_language")

    with op.batch_alter_table("guardian_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_guardian_contacts_outbox_message_id_outbox_messages"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_guardian_contacts_outbox_message_id"), type_="unique")
        batch_op.drop_constraint("delivery", type_="check")
        batch_op.drop_column("outbox_message_id")
        batch_op.drop_column("delivery")
        batch_op.drop_column("notice_kind")
