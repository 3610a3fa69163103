"""A database refusal is never a 500: the gate trigger judges an approval when it is given (not on
every later update), and any constraint or trigger a request runs into answers 409 with the rule
in words, on both databases."""

import sqlalchemy as sa

from caseflow.escalations.models import Escalation
from caseflow.extensions import db


def _approved_escalation(client, g) -> int:
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    assert g.approve(escalation_id).status_code == 200
    return escalation_id


def test_a_later_no_contact_order_does_not_undo_the_referral(app, client, gate_world, lincoln):
    """Found on PostgreSQL: recording the referral re-ran the approval's checks against today's
    guardian restrictions and failed inside the trigger (a 500)."""
    from caseflow.people.models import StudentGuardian

    g = gate_world
    escalation_id = _approved_escalation(client, g)
    with app.app_context():
        link = db.session.get(StudentGuardian, g.mother)
        link.legal_restriction, link.is_primary_contact = "no_contact", False
        db.session.commit()
    with app.app_context():
        approved_at = db.session.get(Escalation, escalation_id).approved_at.isoformat()
    referral = client.post(
        f"/api/v1/escalations/{escalation_id}/referral",
        json={"agency": "Lincoln PD", "officer": "Officer Diaz", "referred_at": approved_at},
        headers=g.h.approver,
    )
    assert referral.status_code == 200, referral.get_json()
    outcome = client.post(
        f"/api/v1/escalations/{escalation_id}/outcome", json={"outcome": "diversion"}, headers=g.h.approver
    )
    assert outcome.status_code == 200, outcome.get_json()


def test_a_constraint_a_request_runs_into_is_a_409(app, client, gate_world, monkeypatch, database_url):
    """A door that forgot a check (simulated: the checklist passes whatever the facts) meets the
    database's own rule: the answer is a 409 with that rule in words, and nothing is stored."""
    from caseflow.escalations import gate

    g = gate_world
    earlier = g.incident(hours_ago=5)
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    contact_id = g.contact(incident_id=earlier, purpose="incident_notice").get_json()["id"]
    real_checklist = gate.checklist

    def forgetful(**kwargs):
        from caseflow.contacts.models import GuardianContact

        result = real_checklist(**kwargs)
        for check in result.checks:
            check.met = True
        result.contact = db.session.get(GuardianContact, contact_id)  # about the other incident
        return result

    monkeypatch.setattr(gate, "checklist", forgetful)
    refused = g.approve(escalation_id)
    assert refused.status_code == 409, refused.get_json()
    body = refused.get_json()["error"]
    assert body["code"] == "conflict" and body["message"]
    if database_url.startswith("postgresql"):  # PostgreSQL names the rule: it is said in words
        assert "guardian" in body["message"] and "incident" in body["message"]
    with app.app_context():
        assert db.session.get(Escalation, escalation_id).status == "requested"


def test_the_gate_trigger_still_checks_a_new_approval(app, gate_world, lincoln, postgres_only):
    """The trigger skips only updates that leave the approval as it was."""
    import pytest

    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    with app.app_context():
        contact_id = db.session.execute(
            sa.text("SELECT id FROM guardian_contacts WHERE incident_id = :i"), {"i": gun}
        ).scalar()
        from caseflow.people.models import StudentGuardian

        link = db.session.get(StudentGuardian, g.mother)
        link.legal_restriction, link.is_primary_contact = "no_contact", False
        db.session.commit()
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError, match="no-contact order"):
            db.session.execute(
                sa.text(
                    "UPDATE escalations SET status = 'approved', approved_by_id = :who, approved_at = now(),"
                    " guardian_contact_id = :c, guardian_reached = true, criteria_met = '[\"firearm\"]'"
                    " WHERE id = :id"
                ),
                {"who": g.people.approver.id, "c": contact_id, "id": escalation_id},
            )
        db.session.rollback()
