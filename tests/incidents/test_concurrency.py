"""Several staff report one fight at the same moment (PostgreSQL, real threads and connections):
every report is stored, and each student has one case of each kind that all the reports join.
A constraint a request trips is a 409 with a message, never a 500."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case, CaseIncident
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident

ROUNDS = 10
REPORTERS = 3


def _send_at_once(app, requests):
    """POST every (headers, body) from its own thread and connection, released together."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def send(index, headers, body):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/incidents", json=body, headers=headers)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
def test_concurrent_reports_of_one_fight_are_all_stored_and_join_one_case(
    app, make, lincoln, payload, api_token, postgres_only
):
    make.user("restorative_adviser", schools=[lincoln.school])
    make.user("counselor", schools=[lincoln.school])
    make.user("social_worker", schools=[lincoln.school])
    reporters = [api_token(make.user("teacher", schools=[lincoln.school])) for _ in range(REPORTERS)]
    students = [
        {"student_id": lincoln.student, "role": "responsible"},
        {"student_id": lincoln.classmate, "role": "responsible"},
    ]
    statuses = Counter()
    for round_ in range(ROUNDS):
        occurred = (now_utc() - timedelta(minutes=5 + round_)).isoformat()
        body = payload(behaviors=["fighting"], students=students, occurred_at=occurred)
        results = _send_at_once(app, [(headers, body) for headers in reporters])
        statuses.update(status for status, _ in results)
        assert all(status == 201 for status, _ in results), (round_, results)

    assert statuses == {201: ROUNDS * REPORTERS}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Incident.id))) == ROUNDS * REPORTERS
        cases = db.session.execute(sa.select(Case.student_id, Case.kind, Case.id)).all()
        per_student_kind = Counter((student, kind) for student, kind, _ in cases)
        # The fight opens a restorative case; three incidents in 30 days a counselor's; eight in
        # 90 days a social worker's. One of each per student, whatever the interleaving.
        assert set(per_student_kind.values()) == {1}, per_student_kind
        assert {kind for _, kind in per_student_kind} >= {"restorative_adviser", "counselor", "social_worker"}
        restorative = [cid for _, kind, cid in cases if kind == "restorative_adviser"]
        for case_id in restorative:  # every report joined the student's one restorative case
            linked = db.session.scalar(
                sa.select(sa.func.count(CaseIncident.incident_id)).where(CaseIncident.case_id == case_id)
            )
            assert linked == ROUNDS * REPORTERS
        # The triage of each later report counted the earlier ones (it waited for them).
        tiers = db.session.scalars(
            sa.text("SELECT mtss_tier FROM students WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": [lincoln.student, lincoln.classmate]},
        ).all()
        assert tiers == [3, 3]


def test_a_constraint_a_request_trips_is_a_409_with_a_message(app, client, make, lincoln, api_token):
    """The last line of defence: a unique index refusing a row the services let through."""
    from caseflow.people.models import Student

    def duplicate_student():
        with app.app_context():
            existing = db.session.get(Student, lincoln.student)
            db.session.add(
                Student(
                    district_id=existing.district_id,
                    school_id=existing.school_id,
                    local_id=existing.local_id,  # unique per district
                    first_name="Copy",
                    last_name="Of",
                    grade="7",
                )
            )
            db.session.commit()
        return {}

    app.add_url_rule("/api/v1/test-duplicate", "test_duplicate", duplicate_student)
    app.add_url_rule("/test-duplicate", "test_duplicate_page", duplicate_student)
    response = client.get("/api/v1/test-duplicate", headers=api_token(lincoln.teacher))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert "conflicts with what is already recorded" in response.get_json()["error"]["message"]
    page = make.user("teacher", schools=[lincoln.school])
    from tests.helpers import sign_in

    sign_in(client, page)
    response = client.get("/test-duplicate")
    assert response.status_code == 409 and b"conflicts with what is already recorded" in response.data
