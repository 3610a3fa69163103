"""The four scenarios of the law-enforcement gate, each with its reasons checked."""

import sqlalchemy as sa

from caseflow.escalations.models import Escalation, GateRefusal
from caseflow.extensions import db


def test_a_pencil_poke_by_a_child_with_an_iep_calming_down_with_the_psychologist_is_always_refused(
    app, client, gate_world, lincoln
):
    g = gate_world
    with app.app_context():
        from caseflow.people.models import Student

        student = db.session.get(Student, lincoln.student)
        student.idea_eligible = True
        student.grade = "6"
        db.session.commit()
    poke = g.incident(
        behaviors=["physical_aggression"],
        injury="minor",
        description="Poked a classmate's arm with a pencil while working with the school psychologist.",
        students=[{"student_id": lincoln.student, "role": "responsible", "with_clinician": True}],
    )
    assert g.contact().status_code == 201  # even with a guardian reached
    for criteria in (
        ["imminent-threat"],
        ["firearm"],
        ["state-reportable"],
        ["non-student-crime"],
        ["imminent-threat", "firearm", "state-reportable", "non-student-crime"],
    ):
        r = g.request(poke, criteria)
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "gate_refused", criteria
        missing = " ".join(r.get_json()["error"]["fields"]["missing"])
        assert "A criterion of the police agreement is met" in missing
        assert "not met" in missing
        assert "Review by the case manager or a school psychologist" in missing  # the IEP
        assert "clinician working with the student" in missing
    with app.app_context():
        statuses = db.session.scalars(sa.select(Escalation.status)).all()
        refusals = db.session.scalar(sa.select(sa.func.count(GateRefusal.id)))
    assert statuses == ["refused"] * 5 and refusals == 5  # every attempt stored, with its reasons
    # A refused request cannot be approved either.
    with app.app_context():
        first = db.session.scalar(sa.select(Escalation.id).order_by(Escalation.id))
    assert g.approve(first).status_code == 409


def test_a_firearm_incident_with_no_guardian_reached_is_refused(app, client, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    assert g.contact(reached=False).status_code == 201  # a voicemail is not a notification
    assert g.contact(link=g.barred).status_code == 422  # a no-contact guardian is never contacted
    r = g.request(gun, ["firearm", "state-reportable"])
    assert r.status_code == 201 and r.get_json()["status"] == "requested"
    refused = g.approve(r.get_json()["id"])
    assert refused.status_code == 409
    missing = refused.get_json()["error"]["fields"]["missing"]
    assert any(m.startswith("A guardian was reached about this incident") for m in missing)
    assert not any(m.startswith("A criterion") for m in missing)  # the criteria are met
    detail = client.get(f"/api/v1/escalations/{r.get_json()['id']}", headers=g.h.auditor).get_json()
    assert detail["status"] == "requested" and [x["stage"] for x in detail["refusals"]] == ["approval"]


def test_a_guardian_reached_but_approved_by_the_requester_is_refused(app, client, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    r = g.request(gun, ["firearm"])
    escalation_id = r.get_json()["id"]
    own = g.approve(escalation_id, headers=g.h.requester)
    assert own.status_code == 409
    assert any(
        "the requester cannot approve their own request" in m
        for m in own.get_json()["error"]["fields"]["missing"]
    )
    elsewhere = g.approve(escalation_id, headers=g.h.other)
    assert elsewhere.status_code == 404  # not an administrator of this school: it is not theirs to see
    with app.app_context():
        assert db.session.get(Escalation, escalation_id).status == "requested"


def test_everything_in_order_is_approved_and_an_arrest_is_counted(app, client, gate_world, lincoln):
    from caseflow.extensions import db
    from caseflow.people.models import School
    from caseflow.reports.civil_rights import counts_by_school
    from caseflow.reports.periods import current_school_year

    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    ok = g.approve(escalation_id)
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert (
        body["status"] == "approved" and body["criteria_met"] == ["firearm"] and body["guardian_contact_id"]
    )
    assert (
        client.get("/api/v1/escalations/referred", headers=g.h.sro).get_json() == []
    )  # not referred to them yet
    referral = client.post(
        f"/api/v1/escalations/{escalation_id}/referral",
        json={
            "agency": "Grand Bend PD",
            "officer": "Officer Diaz",
            "referred_at": body["approved_at"],
            "officer_user_id": g.people.sro.id,
        },
        headers=g.h.approver,
    )
    assert referral.status_code == 200, referral.get_json()
    arrest = client.post(
        f"/api/v1/escalations/{escalation_id}/outcome", json={"outcome": "arrest"}, headers=g.h.approver
    )
    assert arrest.status_code == 200 and arrest.get_json()["outcome"] == "arrest"
    seen = client.get("/api/v1/escalations/referred", headers=g.h.sro).get_json()
    assert [e["id"] for e in seen] == [escalation_id] and "justification" not in seen[0]
    with app.app_context():
        [counts] = counts_by_school([db.session.get(School, lincoln.school)], current_school_year())
        assert (counts.referrals.students, counts.arrests.students) == (1, 1)
