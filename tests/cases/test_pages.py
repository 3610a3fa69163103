"""Case pages: caseload, queue and assignment, the lifecycle's refusals in words, scope."""

import re

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.helpers import post_form, sign_in


def _log(client, headers, payload, **overrides):
    response = client.post("/api/v1/incidents", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _case_id(app, kind="counselor"):
    with app.app_context():
        return db.session.scalar(sa.select(Case.id).where(Case.kind == kind))


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_counselor_works_a_case_from_the_caseload(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    sign_in(client, counselor)
    caseload = client.get("/cases").get_data(as_text=True)
    assert "Ana Reyes" in caseload and "1 case" in caseload
    case_id = _case_id(app)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    started = post_form(
        client,
        f"/cases/{case_id}/move",
        {"to": "active", "version": _version(page)},
        token_from=f"/cases/{case_id}",
    )
    assert started.status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-testid="case-status">active' in page
    refused = post_form(
        client,
        f"/cases/{case_id}/move",
        {"to": "assigned", "version": _version(page)},
        token_from=f"/cases/{case_id}",
    )
    assert refused.status_code == 409 and "An active case cannot become assigned." in refused.get_data(
        as_text=True
    )
    missing = post_form(
        client,
        f"/cases/{case_id}/move",
        {"to": "closed", "version": _version(page), "outcome": "", "note": "half a note?"},
        token_from=f"/cases/{case_id}",
    )
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert "Choose the outcome." in body and "half a note?" in body
    stale = post_form(
        client, f"/cases/{case_id}/move", {"to": "monitoring", "version": "1"}, token_from=f"/cases/{case_id}"
    )
    assert stale.status_code == 409 and "changed this case" in stale.get_data(as_text=True)


def test_administrator_assigns_from_the_queue(app, client, make, lincoln, payload, api_token):
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])  # no counselor yet
    later = make.user("counselor", schools=[lincoln.school])
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    queue = client.get("/cases/queue").get_data(as_text=True)
    assert "No counselor serves Lincoln Middle" in queue
    case_id = _case_id(app)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    no_reason = post_form(
        client,
        f"/cases/{case_id}/assign",
        {"assignee_id": str(later.id), "version": _version(page), "reason": ""},
        token_from=f"/cases/{case_id}",
    )
    assert no_reason.status_code == 422 and "Write why" in no_reason.get_data(as_text=True)
    done = post_form(
        client,
        f"/cases/{case_id}/assign",
        {"assignee_id": str(later.id), "version": _version(page), "reason": "New counselor started."},
        token_from=f"/cases/{case_id}",
    )
    assert done.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.assignee_id, case.status, case.queue_reason) == (later.id, "assigned", None)


def test_cases_are_scoped_to_school_and_role(app, client, make, lincoln, payload, api_token):
    make.user("counselor", schools=[lincoln.school])
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    case_id = _case_id(app)
    for role, schools, status in (
        ("counselor", [lincoln.other_school], 404),
        ("teacher", [lincoln.school], 403),
        ("school_resource_officer", [lincoln.school], 403),
    ):
        other = app.test_client()
        sign_in(other, make.user(role, schools=schools))
        assert other.get(f"/cases/{case_id}").status_code == status, role


def test_caseload_queries_do_not_grow_with_cases(
    app, client, make, lincoln, payload, api_token, count_queries
):
    counselor = make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    sign_in(client, counselor)

    def queries():
        with count_queries() as counter:
            assert client.get("/cases").status_code == 200
        return counter.n

    students = [make.student(lincoln.school) for _ in range(40)]
    for sid in students[:4]:
        _log(
            client,
            headers,
            payload,
            behaviors=["self_harm"],
            students=[{"student_id": sid, "role": "responsible"}],
        )
    queries()
    few = queries()
    for sid in students[4:]:
        _log(
            client,
            headers,
            payload,
            behaviors=["self_harm"],
            students=[{"student_id": sid, "role": "responsible"}],
        )
    assert "40 cases" in client.get("/cases").get_data(as_text=True)
    assert queries() == few


def test_staffing_view_flags_ratios(app, client, make, lincoln, payload, api_token):
    make.user("counselor", schools=[lincoln.school])
    for _ in range(3):
        make.student(lincoln.school)
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    page = client.get("/cases/staff").get_data(as_text=True)
    assert "Lincoln Middle" in page and "Counselor" in page
    # 1 counselor for 5 students: within 250; no psychologist and no social worker: flagged.
    assert page.count('data-testid="ratio-exceeded"') == 2
    assert "<td>1</td><td>3</td>" in page  # the counselor: 1 open case, weighted 3 (Tier 3)


def test_a_stale_save_says_what_changed(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    case_id = _case_id(app)
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, counselor)
    sign_in(theirs, make.user("administrator", schools=[lincoln.school]))
    opened_version = _version(mine.get(f"/cases/{case_id}").get_data(as_text=True))
    assert (
        post_form(
            theirs,
            f"/cases/{case_id}/move",
            {"to": "active", "version": opened_version},
            token_from=f"/cases/{case_id}",
        ).status_code
        == 302
    )
    late = post_form(
        mine,
        f"/cases/{case_id}/move",
        {"to": "active", "version": opened_version},
        token_from=f"/cases/{case_id}",
    )
    assert late.status_code == 409
    text = late.get_data(as_text=True)
    assert "work started" in text and "It is now active" in text and "Nothing you sent was saved" in text


def test_caseload_and_timeline_queries_for_10_and_500_cases(app, client, make, lincoln, count_queries):
    """The issue's scale: the same number of queries for 10 cases as for 500."""
    from caseflow.db import now_utc

    counselor = make.user("counselor", schools=[lincoln.school])
    sign_in(client, counselor)

    def add_cases(n):
        with app.app_context():
            students = [make_student_row(lincoln.school) for _ in range(n)]
            db.session.add_all(students)
            db.session.flush()
            db.session.add_all(
                Case(
                    district_id=s.district_id,
                    school_id=s.school_id,
                    student_id=s.id,
                    kind="counselor",
                    status="assigned",
                    tier=2,
                    priority="soon",
                    source="referral",
                    assignee_id=counselor.id,
                    opened_at=now_utc(),
                    due_at=now_utc(),
                    incidents=[],
                )
                for s in students
            )
            db.session.commit()

    def make_student_row(school_id):
        from caseflow.people.models import School, Student

        make_student_row.n = getattr(make_student_row, "n", 0) + 1
        school = db.session.get(School, school_id)
        return Student(
            district_id=school.district_id,
            school_id=school_id,
            local_id=f"Q{make_student_row.n:06d}",
            first_name="Bulk",
            last_name=f"Student{make_student_row.n}",
            grade="7",
        )

    def queries(path):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.n

    add_cases(10)
    queries("/cases")
    at_10 = queries("/cases")
    add_cases(490)
    assert queries("/cases") == at_10
    assert "100 cases (the first 100)" in client.get("/cases").get_data(as_text=True)


def test_student_timeline_queries_for_10_and_500_cases(app, client, make, lincoln, count_queries):
    from caseflow.db import now_utc

    sign_in(client, make.user("administrator", schools=[lincoln.school]))

    def add_closed_cases(n):
        with app.app_context():
            db.session.add_all(
                Case(
                    district_id=1,
                    school_id=lincoln.school,
                    student_id=lincoln.student,
                    kind="counselor",
                    status="closed",
                    tier=1,
                    priority="routine",
                    source="referral",
                    opened_at=now_utc(),
                    closed_at=now_utc(),
                    outcome="goals_met",
                    close_note="Done.",
                    incidents=[],
                )
                for _ in range(n)
            )
            db.session.commit()

    def queries():
        with count_queries() as counter:
            assert client.get(f"/students/{lincoln.student}").status_code == 200
        return counter.n

    add_closed_cases(10)
    queries()
    at_10 = queries()
    add_closed_cases(490)
    assert queries() == at_10


def test_an_administrator_who_owns_cases_has_a_caseload(app, client, make, lincoln, payload, api_token):
    make.user("counselor", schools=[lincoln.school])
    _log(client, api_token(lincoln.teacher), payload, behaviors=["self_harm"])
    case_id = _case_id(app)
    admin = make.user("administrator", schools=[lincoln.school])
    with app.app_context():
        db.session.get(Case, case_id).assignee_id = admin.id
        db.session.commit()
    sign_in(client, admin)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/cases"' in home  # the navigation offers the caseload
    page = client.get("/cases")
    assert page.status_code == 200 and f"/cases/{case_id}" in page.get_data(as_text=True)
