"""A school with two administrators, a psychologist, a student and guardians, and helpers that
log incidents and walk an escalation through the API."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from caseflow.db import now_utc


@pytest.fixture
def gate_world(app, client, make, lincoln, payload, api_token):
    people = SimpleNamespace(
        requester=make.user("administrator", schools=[lincoln.school]),
        approver=make.user("administrator", schools=[lincoln.school]),
        other_school_admin=make.user("administrator", schools=[lincoln.other_school]),
        psychologist=make.user("psychologist", schools=[lincoln.school]),
        auditor=make.user("district_auditor", district_wide=True),
        sro=make.user("school_resource_officer", schools=[lincoln.school]),
    )
    mother = make.guardian(
        lincoln.student, first_name="Maria", preferred_language="es", is_primary_contact=True
    )
    barred = make.guardian(lincoln.student, first_name="Barred", legal_restriction="no_contact")
    h = SimpleNamespace(
        requester=api_token(people.requester),
        approver=api_token(people.approver),
        teacher=api_token(lincoln.teacher),
        psychologist=api_token(people.psychologist),
        other=api_token(people.other_school_admin),
        auditor=api_token(people.auditor),
        sro=api_token(people.sro),
    )

    logged: list[int] = []

    def incident(hours_ago=2, **overrides):
        body = payload(occurred_at=(now_utc() - timedelta(hours=hours_ago)).isoformat(), **overrides)
        r = client.post("/api/v1/incidents", json=body, headers=h.teacher)
        assert r.status_code == 201, r.get_json()
        logged.append(r.get_json()["id"])
        return r.get_json()["id"]

    def firearm_incident():
        return incident(
            behaviors=["firearm_possession"],
            weapon="Handgun",
            description="A handgun was found in the student's backpack during a search.",
        )

    def contact(link=mother, reached=True, minutes_ago=30, incident_id=None, purpose="escalation_notice"):
        """A call to a guardian; about the latest incident logged unless told otherwise."""
        at = (now_utc() - timedelta(minutes=minutes_ago)).isoformat()
        body = {
            "link_id": link,
            "contacted_at": at,
            "method": "phone",
            "language": "es",
            "reached": reached,
            "purpose": purpose,
            "incident_id": incident_id or (logged[-1] if logged else None),
        }
        return client.post(
            f"/api/v1/students/{lincoln.student}/guardian-contacts", json=body, headers=h.requester
        )

    def request(incident_id, criteria, headers=None, student=None):
        body = {
            "student_id": student or lincoln.student,
            "incident_id": incident_id,
            "criteria": criteria,
            "justification": "Recorded facts meet the agreement; see the incident.",
        }
        return client.post("/api/v1/escalations", json=body, headers=headers or h.requester)

    def approve(escalation_id, headers=None):
        return client.post(
            f"/api/v1/escalations/{escalation_id}/approval", json={}, headers=headers or h.approver
        )

    return SimpleNamespace(
        people=people,
        h=h,
        mother=mother,
        barred=barred,
        student=lincoln.student,
        incident=incident,
        firearm_incident=firearm_incident,
        contact=contact,
        request=request,
        approve=approve,
    )
