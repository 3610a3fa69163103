"""Each role's home page leads with its work, in a fixed number of queries."""

from datetime import timedelta

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.db import now_utc
from caseflow.extensions import db
from tests.helpers import sign_in


def _home(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client, client.get("/").get_data(as_text=True)


def test_a_counselor_sees_overdue_and_urgent_cases_first(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    client.post("/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=headers)
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.assignee_id == counselor.id))
        case.due_at = now_utc() - timedelta(hours=2)
        db.session.commit()
        case_id = case.id
    _, page = _home(app, counselor)
    assert 'data-testid="work-cases"' in page and "1 overdue" in page
    assert f"/cases/{case_id}" in page and "Ana Reyes: counselor case" in page


def test_an_administrator_sees_approvals_queue_and_the_week(app, client, make, lincoln, payload, api_token):
    admin = make.user("administrator", schools=[lincoln.school])
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    _, page = _home(app, admin)
    assert 'data-testid="work-school"' in page and "1 incident this week" in page
    assert "Cases waiting for an owner (" in page and "No counselor serves Lincoln Middle" in page


def test_a_teacher_sees_their_incidents_and_what_became_of_them(app, client, lincoln, payload, api_token):
    client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    _, page = _home(app, lincoln.teacher)
    assert 'data-testid="work-incidents"' in page and "Yours to follow up in class" in page
    assert "Ana Reyes" in page and 'data-testid="work-cases"' not in page


def test_home_queries_do_not_grow_with_work(app, client, make, lincoln, payload, api_token, count_queries):
    counselor = make.user("counselor", schools=[lincoln.school])
    admin = make.user("administrator", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)

    def counts():
        out = []
        for user in (counselor, admin, lincoln.teacher):
            reader = app.test_client()
            sign_in(reader, user)
            reader.get("/")
            with count_queries() as counter:
                assert reader.get("/").status_code == 200
            out.append(counter.n)
        return out

    # Every list already has something (the administrator owns a case of the fight), so a
    # difference below could only come from the data's size.
    client.post("/api/v1/incidents", json=payload(behaviors=["self_harm", "fighting"]), headers=headers)
    few = counts()
    for student in (lincoln.classmate, make.student(lincoln.school), make.student(lincoln.school)):
        body = payload(
            behaviors=["self_harm", "fighting"], students=[{"student_id": student, "role": "responsible"}]
        )
        client.post("/api/v1/incidents", json=body, headers=headers)
    assert counts() == few
