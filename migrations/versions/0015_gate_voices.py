"""The gate's independent voices: a guardian contact names the incident it was about, an approval
rests on a contact about its own incident, an emergency response is reviewed only with a guardian
reached, and the PostgreSQL gate trigger checks an approval when it is given, not on every later
update.

Revision ID: 0015gatevoices
Revises: 0013imports
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015gatevoices'
down_revision = '0013imports'
branch_labels = None
depends_on = None


# The gate trigger checks what changed: a row that becomes approved, or whose approval (approver,
# time, contact) is rewritten. Recording the referral or the outcome later does not re-judge the
# approval against today's facts (a guardian placed under a no-contact order since, an approver
# who has since left): the approval was valid when it was given, and the audit chain says so.
ESCALATION_GATE_FUNCTION = """
CREATE OR REPLACE FUNCTION escalations_gate() RETURNS trigger AS $$
DECLARE
    contact_at timestamptz;
    contact_incident integer;
    restriction text;
    incident_at timestamptz;
BEGIN
    IF NEW.status <> 'approved' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'approved'
       AND NEW.approved_by_id IS NOT DISTINCT FROM OLD.approved_by_id
       AND NEW.approved_at IS NOT DISTINCT FROM OLD.approved_at
       AND NEW.guardian_contact_id IS NOT DISTINCT FROM OLD.guardian_contact_id
       AND NEW.student_id IS NOT DISTINCT FROM OLD.student_id
       AND NEW.incident_id IS NOT DISTINCT FROM OLD.incident_id THEN
        RETURN NEW;
    END IF;
    SELECT gc.contacted_at, gc.incident_id, sg.legal_restriction
      INTO contact_at, contact_incident, restriction
      FROM guardian_contacts gc JOIN student_guardians sg ON sg.id = gc.link_id
     WHERE gc.id = NEW.guardian_contact_id AND gc.student_id = NEW.student_id AND gc.reached;
    SELECT occurred_at INTO incident_at FROM incidents WHERE id = NEW.incident_id;
    IF contact_at IS NULL OR contact_at > NEW.approved_at OR contact_at < incident_at THEN
        RAISE EXCEPTION 'escalation gate: no guardian reached between the incident and the approval'
            USING ERRCODE = 'check_violation';
    END IF;
    IF contact_incident IS DISTINCT FROM NEW.incident_id THEN
        RAISE EXCEPTION 'escalation gate: the guardian contact was not about this incident'
            USING ERRCODE = 'check_violation';
    END IF;
    IF restriction = 'no_contact' THEN
        RAISE EXCEPTION 'escalation gate: the guardian contact is with a guardian under a no-contact order'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'administrator'
         WHERE u.id = NEW.approved_by_id AND u.active AND u.district_id = NEW.district_id
           AND (u.district_wide OR EXISTS (
                SELECT 1 FROM user_schools us WHERE us.user_id = u.id AND us.school_id = NEW.school_id))
    ) THEN
        RAISE EXCEPTION 'escalation gate: the approver is not an administrator of the school or district'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

# The function as migration 0010 created it, for the downgrade.
PREVIOUS_GATE_FUNCTION = """
CREATE OR REPLACE FUNCTION escalations_gate() RETURNS trigger AS $$
DECLARE
    contact_at timestamptz;
    restriction text;
    incident_at timestamptz;
BEGIN
    IF NEW.status <> 'approved' THEN
        RETURN NEW;
    END IF;
    SELECT gc.contacted_at, sg.legal_restriction INTO contact_at, restriction
      FROM guardian_contacts gc JOIN student_guardians sg ON sg.id = gc.link_id
     WHERE gc.id = NEW.guardian_contact_id AND gc.student_id = NEW.student_id AND gc.reached;
    SELECT occurred_at INTO incident_at FROM incidents WHERE id = NEW.incident_id;
    IF contact_at IS NULL OR contact_at > NEW.approved_at OR contact_at < incident_at THEN
        RAISE EXCEPTION 'escalation gate: no guardian reached between the incident and the approval'
            USING ERRCODE = 'check_violation';
    END IF;
    IF restriction = 'no_contact' THEN
        RAISE EXCEPTION 'escalation gate: the guardian contact is with a guardian under a no-contact order'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'administrator'
         WHERE u.id = NEW.approved_by_id AND u.active AND u.district_id = NEW.district_id
           AND (u.district_wide OR EXISTS (
                SELECT 1 FROM user_schools us WHERE us.user_id = u.id AND us.school_id = NEW.school_id))
    ) THEN
        RAISE EXCEPTION 'escalation gate: the approver is not an administrator of the school or district'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_escalations_guardian_contact_reached', type_='foreignkey')

    with op.batch_alter_table('guardian_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_guardian_contacts_incident_id'), ['incident_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_guardian_contacts_incident_id_incidents'), 'incidents', ['incident_id'], ['id']
        )
        batch_op.drop_constraint('uq_guardian_contacts_id_student_reached', type_='unique')
        batch_op.create_unique_constraint(
            'uq_guardian_contacts_id_student_reached', ['id', 'student_id', 'reached', 'incident_id']
        )

    # A contact an approval rested on was, by that approval, about the escalation's incident.
    op.execute(
        "UPDATE guardian_contacts SET incident_id = ("
        " SELECT e.incident_id FROM escalations e WHERE e.guardian_contact_id = guardian_contacts.id"
        " ORDER BY e.id LIMIT 1)"
        " WHERE incident_id IS NULL AND EXISTS ("
        " SELECT 1 FROM escalations e WHERE e.guardian_contact_id = guardian_contacts.id)"
    )

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_escalations_guardian_contact_reached',
            'guardian_contacts',
            ['guardian_contact_id', 'student_id', 'guardian_reached', 'incident_id'],
            ['id', 'student_id', 'reached', 'incident_id'],
        )

    with op.batch_alter_table('emergency_responses', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'reviewed_contact', 'reviewed_at IS NULL OR guardian_contact_id IS NOT NULL'
        )

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(ESCALATION_GATE_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PREVIOUS_GATE_FUNCTION)

    with op.batch_alter_table('emergency_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_emergency_responses_reviewed_contact'), type_='check')

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_escalations_guardian_contact_reached', type_='foreignkey')

    with op.batch_alter_table('guardian_contacts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_guardian_contacts_id_student_reached', type_='unique')
        batch_op.create_unique_constraint(
            'uq_guardian_contacts_id_student_reached', ['id', 'student_id', 'reached']
        )
        batch_op.drop_constraint(batch_op.f('fk_guardian_contacts_incident_id_incidents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_guardian_contacts_incident_id'))
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_escalations_guardian_contact_reached',
            'guardian_contacts',
            ['guardian_contact_id', 'student_id', 'guardian_reached'],
            ['id', 'student_id', 'reached'],
        )
