"""Report fixtures: the gate's world (a school, administrators, a student with guardians), a
walk of an escalation to an arrest, and cohorts of students written in bulk."""

from datetime import date

import pytest

from caseflow.extensions import db
from tests.escalations.conftest import gate_world  # noqa: F401  (the fixture)


@pytest.fixture
def arrested(client, gate_world):  # noqa: F811
    """An approved firearm escalation, referred, with an arrest as its outcome."""
    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    approved = g.approve(escalation_id)
    assert approved.status_code == 200, approved.get_json()
    referral = client.post(
        f"/api/v1/escalations/{escalation_id}/referral",
        json={
            "agency": "Grand Bend PD",
            "officer": "Officer Diaz",
            "referred_at": approved.get_json()["approved_at"],
        },
        headers=g.h.approver,
    )
    assert referral.status_code == 200, referral.get_json()
    outcome = client.post(
        f"/api/v1/escalations/{escalation_id}/outcome", json={"outcome": "arrest"}, headers=g.h.approver
    )
    assert outcome.status_code == 200
    return escalation_id


@pytest.fixture
def cohort(app):
    """cohort(school_id, race, n, suspended=k, sex="M") -> student ids; the first k have an
    out-of-school suspension this school year."""
    counter = iter(range(1, 1_000_000))

    def _cohort(school_id, race, n, *, suspended=0, sex="M", **values):
        from caseflow.discipline.models import DisciplineAction
        from caseflow.people.models import School, Student
        from caseflow.reports.periods import current_school_year

        with app.app_context():
            school = db.session.get(School, school_id)
            students = [
                Student(
                    district_id=school.district_id,
                    school_id=school_id,
                    local_id=f"C{school_id}-{race}-{next(counter)}",
                    first_name="Pupil",
                    last_name=race,
                    grade="8",
                    race_ethnicity=race,
                    sex=sex,
                    **values,
                )
                for _ in range(n)
            ]
            db.session.add_all(students)
            db.session.flush()
            day = date(current_school_year(), 9, 15)
            db.session.add_all(
                DisciplineAction(
                    district_id=school.district_id,
                    school_id=school_id,
                    student_id=s.id,
                    action_code="Out of School Suspension",
                    action_date=day,
                    length_days=2,
                    historical=True,  # past data: not through the exclusion gate
                )
                for s in students[:suspended]
            )
            db.session.commit()
            return [s.id for s in students]

    return _cohort
