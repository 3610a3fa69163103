"""A student with an IEP at Lincoln Middle, an incident they were responsible in, a guardian,
the school's administrator and an IEP team member (a counselor)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from caseflow.extensions import db


@pytest.fixture
def iep(app, client, make, lincoln, api_token, payload):
    from caseflow.people.models import Student, StudentGuardian

    with app.app_context():
        student = db.session.get(Student, lincoln.student)
        student.idea_eligible = True
        db.session.commit()
    guardian_link = make.guardian(lincoln.student, first_name="Rosa", last_name="Reyes")
    with app.app_context():
        guardian_id = db.session.get(StudentGuardian, guardian_link).guardian_id
    incidents = []
    for _ in range(2):
        response = client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
        assert response.status_code == 201, response.get_json()
        incidents.append(response.get_json()["id"])
    admin = make.user("administrator", schools=[lincoln.school])
    return SimpleNamespace(
        student=lincoln.student,
        school=lincoln.school,
        incidents=incidents,
        incident=incidents[0],
        guardian=guardian_id,
        admin=admin,
        second_admin=make.user("administrator", schools=[lincoln.school]),
        district_rep=make.user("administrator", district_wide=True),
        iep_member=make.user("counselor", schools=[lincoln.school]),
    )


def team(iep) -> list[dict]:
    return [
        {"role": "parent", "guardian_id": iep.guardian},
        {"role": "district_representative", "user_id": iep.district_rep.id},
        {"role": "iep_team", "user_id": iep.iep_member.id},
    ]
