"""A threat logged at Lincoln Middle, routed to the threat-assessment team, and its team."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db


@pytest.fixture
def threat(app, client, make, lincoln, payload, api_token):
    """Logs a threat against a classmate through the API; returns the case, the people, headers."""

    def _threat(**student_values):
        if student_values:
            with app.app_context():
                from caseflow.people.models import Student

                student = db.session.get(Student, lincoln.student)
                for key, value in student_values.items():
                    setattr(student, key, value)
                db.session.commit()
        people = SimpleNamespace(
            assessor=make.user("threat_team", schools=[lincoln.school]),
            principal=make.user("administrator", schools=[lincoln.school]),
            second_admin=make.user("administrator", schools=[lincoln.school]),
            psychologist=make.user("psychologist", schools=[lincoln.school]),
            counselor=make.user("counselor", schools=[lincoln.school]),
        )
        body = payload(
            behaviors=["threat"],
            threat_made=True,
            threat_words="I'm going to bring my dad's gun and shoot Ben.",
            description="Said it to two classmates at lunch, angry after a fight with Ben.",
        )
        response = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
        assert response.status_code == 201, response.get_json()
        with app.app_context():
            case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "threat_team"))
        assert case_id, "the threat was not routed to the threat-assessment team"
        victim_guardian = make.guardian(lincoln.classmate, preferred_language="es")
        return SimpleNamespace(
            case_id=case_id,
            url=f"/api/v1/cases/{case_id}/threat-assessment",
            people=people,
            headers=api_token(people.assessor),
            victim_guardian=victim_guardian,
            incident_id=response.get_json()["id"],
        )

    return _threat


def step(client, t, name, headers=None, **body):
    return client.post(f"{t.url}/{name}", json=body, headers=headers or t.headers)


def full_team(client, t, *, special_education=False):
    for user, capacity in ((t.people.principal, "administrator"), (t.people.psychologist, "mental_health")):
        assert step(client, t, "team", user_id=user.id, capacity=capacity).status_code == 200
    if special_education:
        r = step(client, t, "team", user_id=t.people.counselor.id, capacity="special_education")
        assert r.status_code == 200


def account(client, t):
    r = step(
        client,
        t,
        "statements",
        source="student",
        speaker="Ana Reyes",
        exact_words="I'm going to bring my dad's gun and shoot Ben.",
        context="At lunch, after Ben pushed her in the hallway.",
    )
    assert r.status_code == 200, r.get_json()
