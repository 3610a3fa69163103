"""Helpers for the discipline tests: an incident logged through the API, administrators with
tokens, counts of what was stored; and a student with an IEP at Lincoln Middle (`iep`): an
incident they were responsible in, a guardian, the school's administrator and an IEP team member
(a counselor)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from caseflow.discipline.models import DisciplineAction, ExclusionRefusal
from caseflow.extensions import db
from tests.helpers import FROZEN_NOW

ACTION_DAY = (FROZEN_NOW + timedelta(days=1)).date().isoformat()
ANSWERS = {
    "no_supports_reason": "New to the school this week; nothing on record yet.",
    "in_school_alternative_reason": "The in-school room is closed for the week of testing.",
}


@pytest.fixture
def gate_setup(app, client, make, lincoln, api_token, payload):
    """An incident at Lincoln with `behaviors`, its two administrators and their tokens."""
    first = make.user("administrator", schools=[lincoln.school])
    second = make.user("administrator", schools=[lincoln.school])

    def incident(*behaviors: str, student=None) -> int:
        student = student or lincoln.student
        body = payload(behaviors=list(behaviors), students=[{"student_id": student, "role": "responsible"}])
        response = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return SimpleNamespace(
        incident=incident,
        first=first,
        second=second,
        first_token=api_token(first),
        second_token=api_token(second),
    )


def counts(app) -> tuple[int, int]:
    """(actions, refused attempts) stored."""
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(DisciplineAction)),
            db.session.scalar(sa.select(sa.func.count()).select_from(ExclusionRefusal)),
        )


def refusals(app) -> list[tuple[str, list[str]]]:
    with app.app_context():
        return [
            (r.stage, r.reasons)
            for r in db.session.scalars(sa.select(ExclusionRefusal).order_by(ExclusionRefusal.id))
        ]


@pytest.fixture
def removal_rules(monkeypatch):
    """The district's exclusion rules with no second administrator needed: the removal tests are
    about the 10-day line (the approval limits have their own tests in test_exclusion_gate.py).
    Every code rule of the gate still applies."""
    import dataclasses

    from caseflow.discipline import gate, rules

    lenient = dataclasses.replace(
        rules.exclusion_rules(), alone_up_to_school_days=180, expulsion_needs_second_administrator=False
    )
    monkeypatch.setattr(gate, "exclusion_rules", lambda: lenient)
    return lenient


@pytest.fixture
def iep(app, client, make, lincoln, api_token, payload, removal_rules):
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
        # A fight: not ordinary discipline, so an exclusion may follow (caseflow/discipline/gate.py).
        response = client.post(
            "/api/v1/incidents", json=payload(behaviors=["fighting"]), headers=api_token(lincoln.teacher)
        )
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
