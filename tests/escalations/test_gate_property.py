"""A stateful property test: whatever sequence of incidents, guardian contacts, requests,
reviews, approvals, denials and withdrawals happens, through the API, no escalation is ever
approved without every condition of the gate, as checked here independently from the rows."""

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from caseflow.db import now_utc
from caseflow.extensions import db

FIREARMS = {"Handgun", "Rifle/Shotgun", "Other Firearm"}
# What each kind of incident may support, by this test's own reading of workflows/police.yaml.
INCIDENTS = {
    "firearm": dict(behaviors=["firearm_possession"], weapon="Handgun"),
    "knife_threat": dict(
        behaviors=["weapon_possession", "threat"],
        weapon="Knife",
        threat_made=True,
        threat_words="I'll cut you.",
    ),
    "pencil_poke": dict(behaviors=["physical_aggression"], injury="minor"),
    "disruption": dict(behaviors=["disruption"]),
}
SUPPORTS = {
    "firearm": {"firearm", "state-reportable"},
    "knife_threat": {"imminent-threat", "state-reportable"},
    "pencil_poke": set(),
    "disruption": set(),
}
CRITERIA = ["imminent-threat", "firearm", "state-reportable", "non-student-crime"]


def test_no_sequence_approves_an_escalation_without_its_conditions(app, client, make, lincoln, api_token):
    school = lincoln.school
    admins = [make.user("administrator", schools=[school]) for _ in range(2)]
    outsider = make.user("administrator", schools=[lincoln.other_school])
    psychologist = make.user("psychologist", schools=[school])
    students = [lincoln.student, make.student(school, idea_eligible=True)]
    guardians = {s: (make.guardian(s), make.guardian(s, legal_restriction="no_contact")) for s in students}
    headers = {u.id: api_token(u) for u in (*admins, outsider, psychologist)}
    teacher = api_token(lincoln.teacher)
    actors = [*admins, outsider, psychologist]

    class Gate(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.incidents: list[tuple[int, int, str]] = []  # (incident id, student id, kind)
            self.escalations: list[int] = []

        # Weighted toward what can lead to an approval, so that runs reach that state often.
        @rule(
            kind=st.sampled_from(
                ["firearm", "firearm", "knife_threat", "knife_threat", "pencil_poke", "disruption"]
            ),
            student=st.sampled_from(students),
            clinician=st.sampled_from([False, False, True]),
        )
        def log_incident(self, kind, student, clinician):
            body = {
                "school_id": school,
                "occurred_at": (now_utc() - timedelta(minutes=60)).isoformat(),
                "location": "Classroom",
                "description": f"A {kind.replace('_', ' ')} incident, logged by the property test.",
                "students": [{"student_id": student, "role": "responsible", "with_clinician": clinician}],
                **INCIDENTS[kind],
            }
            r = client.post("/api/v1/incidents", json=body, headers=teacher)
            assert r.status_code == 201, r.get_json()
            self.incidents.append((r.get_json()["id"], student, kind))

        @rule(
            data=st.data(),
            student=st.sampled_from(students),
            reached=st.sampled_from([True, True, False]),
            barred=st.sampled_from([False, False, False, True]),
            before=st.sampled_from([False, False, True]),
            about=st.sampled_from(["latest", "latest", "any", "none"]),
        )
        def contact(self, data, student, reached, barred, before, about):
            link = guardians[student][1 if barred else 0]
            at = now_utc() - timedelta(minutes=90 if before else 5)
            own = [i for i, s, _ in self.incidents if s == student]
            incident = None
            if own and about == "latest":
                incident = own[-1]
            elif own and about == "any":
                incident = data.draw(st.sampled_from(own))
            body = {
                "link_id": link,
                "contacted_at": at.isoformat(),
                "method": "phone",
                "language": "en",
                "reached": reached,
                "incident_id": incident,
            }
            r = client.post(
                f"/api/v1/students/{student}/guardian-contacts", json=body, headers=headers[admins[0].id]
            )
            assert r.status_code == (422 if barred else 201)

        @precondition(lambda self: self.incidents)
        @rule(data=st.data())
        def request(self, data):
            incident, student, _ = data.draw(st.sampled_from(self.incidents))
            criteria = data.draw(st.lists(st.sampled_from(CRITERIA), min_size=0, max_size=3, unique=True))
            actor = data.draw(st.sampled_from([admins[0], admins[0], admins[1], outsider, psychologist]))
            body = {
                "student_id": student,
                "incident_id": incident,
                "criteria": criteria,
                "justification": "Property test.",
            }
            r = client.post("/api/v1/escalations", json=body, headers=headers[actor.id])
            assert r.status_code in (201, 403, 409, 422), r.get_json()
            assert r.status_code < 500
            if r.status_code in (201, 409) and "escalation_id" in (r.get_json().get("error") or {}).get(
                "fields", {}
            ):
                self.escalations.append(int(r.get_json()["error"]["fields"]["escalation_id"][0]))
            elif r.status_code == 201:
                self.escalations.append(r.get_json()["id"])

        @precondition(lambda self: self.escalations)
        @rule(
            data=st.data(),
            kind=st.sampled_from(["disability_review", "clinician_statement"]),
            necessary=st.sampled_from([True, True, False]),
        )
        def review(self, data, kind, necessary):
            escalation = data.draw(st.sampled_from(self.escalations))
            # Mostly the psychologist, the one independent voice here; the administrators try too
            # (the requester and the approver may never supply a review).
            actor = data.draw(st.sampled_from([psychologist, psychologist, psychologist, *admins, outsider]))
            body = {"kind": kind, "text": "Property test review.", "police_necessary": necessary}
            r = client.post(f"/api/v1/escalations/{escalation}/reviews", json=body, headers=headers[actor.id])
            assert r.status_code in (201, 403, 404, 409, 422), r.get_json()

        @precondition(lambda self: self.escalations)
        @rule(data=st.data())
        def approve(self, data):
            escalation = data.draw(st.sampled_from(self.escalations))
            actor = data.draw(st.sampled_from([admins[0], admins[1], admins[1], outsider, psychologist]))
            r = client.post(f"/api/v1/escalations/{escalation}/approval", json={}, headers=headers[actor.id])
            assert r.status_code in (200, 403, 404, 409), r.get_json()

        @precondition(lambda self: self.escalations)
        @rule(data=st.data(), to=st.sampled_from(["denied", "withdrawn"]))
        def close(self, data, to):
            escalation = data.draw(st.sampled_from(self.escalations))
            actor = data.draw(st.sampled_from(actors))
            r = client.post(
                f"/api/v1/escalations/{escalation}/close",
                json={"to": to, "note": "n"},
                headers=headers[actor.id],
            )
            assert r.status_code in (200, 403, 404, 409), r.get_json()

        @invariant()
        def every_approval_has_every_condition(self):
            with app.app_context():
                check_approved_escalations(admins_ids={a.id for a in admins})

    run_state_machine_as_test(
        Gate, settings=settings(max_examples=60, stateful_step_count=30, deadline=None, derandomize=True)
    )
    # The runs reached the interesting states: approvals happened, and so did refusals.
    with app.app_context():
        from caseflow.escalations.models import Escalation, GateRefusal

        approved = db.session.scalar(sa.select(sa.func.count()).where(Escalation.status == "approved"))
        refused = db.session.scalar(
            sa.select(sa.func.count(GateRefusal.id)).where(GateRefusal.stage == "approval")
        )
    assert approved > 0 and refused > 0


def check_approved_escalations(admins_ids: set[int]) -> None:
    """The gate's conditions, read straight from the rows."""
    from caseflow.contacts.models import GuardianContact
    from caseflow.escalations.models import Escalation, EscalationReview
    from caseflow.incidents.models import Incident, IncidentStudent
    from caseflow.people.models import Student, StudentGuardian

    for e in db.session.scalars(sa.select(Escalation).where(Escalation.status == "approved")):
        incident = db.session.get(Incident, e.incident_id)
        student = db.session.get(Student, e.student_id)
        kind = next(
            k for k, v in INCIDENTS.items() if sorted(v["behaviors"]) == sorted(incident.behavior_codes)
        )
        assert e.criteria_met and set(e.criteria_met) <= set(e.criteria) & SUPPORTS[kind], (
            e.id,
            kind,
            e.criteria_met,
        )
        assert e.approved_by_id != e.requested_by_id and e.approved_by_id in admins_ids
        contact = db.session.get(GuardianContact, e.guardian_contact_id)
        link = db.session.get(StudentGuardian, contact.link_id)
        assert (
            contact.student_id == e.student_id and contact.reached and link.legal_restriction != "no_contact"
        )
        assert incident.occurred_at <= contact.contacted_at <= e.approved_at
        assert contact.incident_id == e.incident_id  # a call about this incident, not any call
        reviews = db.session.scalars(
            sa.select(EscalationReview).where(EscalationReview.escalation_id == e.id)
        ).all()
        independent = [
            r for r in reviews if r.written_at <= e.approved_at and r.author_id not in own_voices(e)
        ]
        if student.idea_eligible:
            assert any(r.kind == "disability_review" for r in independent)
        part = db.session.scalar(
            sa.select(IncidentStudent).where(
                IncidentStudent.incident_id == incident.id, IncidentStudent.student_id == student.id
            )
        )
        if part.with_clinician:
            latest = {r.author_id: r for r in independent if r.kind == "clinician_statement"}
            assert latest and all(r.police_necessary for r in latest.values())


def own_voices(escalation) -> set[int]:
    """Whoever asked for police or approved it: never an independent voice."""
    return {escalation.requested_by_id, escalation.approved_by_id}
