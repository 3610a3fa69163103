"""Cases from triage routes: assignment (continuity, load, language, nobody eligible) and the
lifecycle table."""

import pytest
import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import move_case
from caseflow.db import transaction
from caseflow.errors import Conflict, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.models import Incident


def _log(client, headers, payload, **overrides):
    response = client.post("/api/v1/incidents", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _cases(app):
    with app.app_context():
        return [
            (c.kind, c.student_id, c.assignee_id, c.status, c.queue_reason)
            for c in db.session.scalars(sa.select(Case).order_by(Case.id))
        ]


def test_each_route_opens_a_case_and_repeats_join_it(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    psychologist = make.user("psychologist", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    _log(client, headers, payload, behaviors=["self_harm"])
    cases = _cases(app)
    assert [(k, a, s) for k, _, a, s, _ in cases] == [
        ("counselor", counselor.id, "assigned"),
        ("psychologist", psychologist.id, "assigned"),
    ]
    _log(client, headers, payload, behaviors=["self_harm"])  # joins the open cases
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 2
        assert all(len(c.incidents) == 2 for c in db.session.scalars(sa.select(Case)))


def test_teacher_follow_up_opens_no_case(app, client, lincoln, payload, api_token):
    _log(client, api_token(lincoln.teacher), payload)
    assert _cases(app) == []


def test_nobody_of_the_role_goes_to_the_administrators_queue(app, client, lincoln, payload, api_token):
    _log(client, api_token(lincoln.teacher), payload, behaviors=["substance_use"])
    cases = _cases(app)
    assert {k for k, *_ in cases} == {"counselor", "social_worker", "administrator"}
    for _kind, _, assignee, status, reason in cases:
        assert assignee is None and status == "new"
        assert reason.startswith("No ") and "serves Lincoln Middle" in reason


def test_lowest_weighted_caseload_wins(app, client, make, lincoln, payload, api_token):
    busy = make.user("counselor", schools=[lincoln.school])
    free = make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    # A Tier 3 case for the first counselor (lower id wins the tie).
    _log(client, headers, payload, behaviors=["self_harm"])
    assert _cases(app)[0][2] == busy.id
    other = make.student(lincoln.school)
    _log(
        client,
        headers,
        payload,
        behaviors=["self_harm"],
        students=[{"student_id": other, "role": "responsible"}],
    )
    assert [c[2] for c in _cases(app) if c[0] == "counselor"] == [busy.id, free.id]


def test_continuity_prefers_the_students_previous_worker(app, client, make, lincoln, payload, api_token):
    first = make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    _log(client, headers, payload, behaviors=["self_harm"])
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.kind == "counselor"))
        actor = db.session.get(User, first.id)
        with transaction():
            move_case(actor=actor, case=case, to="active", version=case.version)
        with transaction():
            move_case(
                actor=actor,
                case=case,
                to="closed",
                version=case.version,
                outcome="goals_met",
                note="Plan completed.",
            )
    make.user("counselor", schools=[lincoln.school])  # a new counselor with an empty caseload
    _log(client, headers, payload, behaviors=["self_harm"])
    open_counselor = [c for c in _cases(app) if c[0] == "counselor" and c[3] != "closed"]
    assert open_counselor[0][2] == first.id


def test_language_preference(app, client, make, lincoln, payload, api_token):
    make.user("counselor", schools=[lincoln.school])
    spanish = make.user("counselor", schools=[lincoln.school])
    with app.app_context():
        db.session.get(User, spanish.id).languages = "en,es"
        db.session.commit()
    make.guardian(lincoln.student, is_primary_contact=True, preferred_language="es")
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    counselor_case = [c for c in _cases(app) if c[0] == "counselor"][0]
    assert counselor_case[2] == spanish.id


def test_lifecycle_table_and_incident_status(app, client, make, lincoln, payload, api_token):
    owner = make.user("counselor", schools=[lincoln.school])
    incident_id = _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    with app.app_context():
        actor = db.session.get(User, owner.id)
        case = db.session.scalar(sa.select(Case).where(Case.kind == "counselor"))
        with pytest.raises(Conflict, match="Start working on the case"):
            move_case(actor=actor, case=case, to="monitoring", version=case.version)
        with pytest.raises(Conflict, match="changed this case"):
            move_case(actor=actor, case=case, to="active", version=case.version - 1)
        with transaction():
            move_case(actor=actor, case=case, to="active", version=case.version)
        assert db.session.get(Incident, incident_id).status == "case_open"
        with pytest.raises(ValidationFailed) as refused:
            move_case(actor=actor, case=case, to="closed", version=case.version, outcome=None, note="")
        assert set(refused.value.fields) == {"outcome", "note"}
        with transaction():
            move_case(
                actor=actor,
                case=case,
                to="closed",
                version=case.version,
                outcome="improved",
                note="Calmer; check-ins ended.",
            )
        assert db.session.get(Incident, incident_id).status == "case_open"  # the psychologist's is open


def test_a_closed_case_is_not_reopened_beside_a_newer_open_one(
    app, client, make, lincoln, payload, api_token
):
    owner = make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    _log(client, headers, payload, behaviors=["self_harm"])
    with app.app_context():
        actor = db.session.get(User, owner.id)
        first = db.session.scalar(sa.select(Case).where(Case.kind == "counselor"))
        with transaction():
            move_case(actor=actor, case=first, to="active", version=first.version)
        with transaction():
            move_case(
                actor=actor, case=first, to="closed", version=first.version, outcome="improved", note="ok"
            )
        first_id, version = first.id, first.version
    _log(client, headers, payload, behaviors=["self_harm"])  # opens a second counselor case
    response = client.post(
        f"/api/v1/cases/{first_id}/transitions",
        json={"to": "active", "version": version},
        headers=api_token(owner),
    )
    assert response.status_code == 409, response.get_json()
    assert "another open counselor case" in response.get_json()["error"]["message"]
