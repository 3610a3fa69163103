"""Fixtures for incident tests: a school with a teacher and students, and a valid payload."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from caseflow.db import now_utc


@pytest.fixture
def lincoln(make):
    school = make.school("Lincoln Middle", code="LMS")
    other = make.school("Washington High", code="WHS")
    return SimpleNamespace(
        school=school,
        other_school=other,
        teacher=make.user("teacher", schools=[school]),
        student=make.student(school, first_name="Ana", last_name="Reyes"),
        classmate=make.student(school, first_name="Ben", last_name="Cole"),
        outsider=make.student(other, first_name="Cy", last_name="Stone"),
    )


@pytest.fixture
def payload(lincoln):
    def _payload(**overrides):
        body = {
            "school_id": lincoln.school,
            "occurred_at": (now_utc() - timedelta(hours=1)).isoformat(),
            "location": "Classroom",
            "behaviors": ["disruption"],
            "description": "Knocked books off desks during the reading block and laughed.",
            "students": [{"student_id": lincoln.student, "role": "responsible"}],
        }
        body.update(overrides)
        return body

    return _payload
