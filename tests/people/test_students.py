"""Students and guardians: school scope, search, editing with per-field errors, audit."""

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.people.models import Student, StudentGuardian
from tests.helpers import post_form


def test_roster_shows_only_my_schools(client, make, login_as):
    mine, other = make.school("Mine"), make.school("Other")
    make.student(mine, first_name="Visible", last_name="Kid")
    make.student(other, first_name="Hidden", last_name="Kid")
    login_as("counselor", schools=[mine])
    page = client.get("/students?q=kid").get_data(as_text=True)
    assert "Kid, Visible" in page and "Hidden" not in page


def test_api_list_is_scoped_filtered_and_paginated(client, make, api_token):
    mine, other = make.school("Mine"), make.school("Other")
    for n in range(5):
        make.student(mine, last_name=f"Alpha{n}")
    make.student(other, last_name="Alpha9")
    user = make.user("counselor", schools=[mine])
    body = client.get("/api/v1/students?q=alpha&per_page=2&page=2", headers=api_token(user)).get_json()
    assert body["total"] == 5 and body["pages"] == 3 and len(body["items"]) == 2
    assert [s["last_name"] for s in body["items"]] == ["Alpha2", "Alpha3"]


def test_api_list_rejects_bad_query_with_field_errors(client, make, api_token):
    user = make.user("counselor", schools=[make.school()])
    response = client.get("/api/v1/students?per_page=5000&tier=9", headers=api_token(user))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"per_page", "tier"}


def test_student_search_by_local_id(client, make, login_as):
    school = make.school()
    make.student(school, local_id="S777", first_name="Exact")
    login_as("counselor", schools=[school])
    assert "Exact" in client.get("/students?q=s777").get_data(as_text=True)


def test_edit_student_errors_keep_what_was_typed(app, client, make, login_as):
    school = make.school()
    student = make.student(school, first_name="Maya")
    login_as("administrator", schools=[school])
    response = post_form(
        client,
        f"/students/{student}/edit",
        {
            "local_id": "S1",
            "first_name": "Mayah",
            "last_name": "",
            "grade": "13",
            "school_id": str(school),
            "birth_date": "not a date",
            "race_ethnicity": "HI",
            "idea_eligible": "y",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Mayah"' in page and 'value="not a date"' in page
    assert page.count('class="field-error"') >= 3  # last_name, grade, birth_date
    with app.app_context():
        assert db.session.get(Student, student).first_name == "Maya"  # nothing written


def test_edit_student_saves_and_audits(app, client, make, login_as):
    school = make.school()
    student = make.student(school, first_name="Maya")
    login_as("administrator", schools=[school])
    response = post_form(
        client,
        f"/students/{student}/edit",
        {
            "local_id": "S1",
            "first_name": "Maya",
            "last_name": "Ortiz",
            "grade": "8",
            "school_id": str(school),
            "birth_date": "2012-03-04",
            "race_ethnicity": "HI",
            "sex": "F",
            "section_504": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Student, student)
        assert (row.last_name, row.section_504, row.idea_eligible) == ("Ortiz", True, False)
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "student.updated"))
        assert event.student_id == student
        assert event.changes["last_name"] == {"before": "Tester", "after": "Ortiz"}


def test_no_contact_guardian_cannot_be_primary(app, client, make, login_as):
    school = make.school()
    student = make.student(school)
    login_as("administrator", schools=[school])
    response = post_form(
        client,
        f"/students/{student}/guardians/new",
        {
            "first_name": "Pat",
            "last_name": "Doe",
            "relationship": "father",
            "is_primary_contact": "y",
            "legal_restriction": "no_contact",
            "restriction_note": "Order 2026-114",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "no-contact order cannot be the primary contact" in page and 'value="Pat"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(StudentGuardian.id))) == 0


def test_no_contact_guardian_details_are_hidden_and_flagged(client, make, login_as):
    school = make.school()
    student = make.student(school)
    make.guardian(student, legal_restriction="no_contact", phone="(555) 019-9999")
    login_as("counselor", schools=[school])
    page = client.get(f"/students/{student}").get_data(as_text=True)
    assert "never contact" in page and "(555) 019-9999" not in page


def test_add_and_edit_guardian(app, client, make, login_as):
    school = make.school()
    student = make.student(school)
    login_as("administrator", schools=[school])
    response = post_form(
        client,
        f"/students/{student}/guardians/new",
        {
            "first_name": "Rosa",
            "last_name": "Diaz",
            "relationship": "mother",
            "is_primary_contact": "y",
            "lives_with": "y",
            "phone": "(555) 010-2345",
            "preferred_language": "es",
            "legal_restriction": "none",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        link = db.session.scalar(sa.select(StudentGuardian))
        assert link.is_primary_contact and link.guardian.preferred_language == "es"
        link_id = link.id
    response = post_form(
        client,
        f"/students/{student}/guardians/{link_id}/edit",
        {
            "first_name": "Rosa",
            "last_name": "Diaz",
            "relationship": "mother",
            "phone": "bad phone!",
            "legal_restriction": "none",
        },
    )
    assert response.status_code == 422 and "Enter a phone number" in response.get_data(as_text=True)


def test_database_refuses_no_contact_primary_even_past_the_service(app, make):
    import pytest

    school = make.school()
    student = make.student(school)
    with pytest.raises(sa.exc.IntegrityError):
        make.guardian(student, is_primary_contact=True, legal_restriction="no_contact")


def test_naming_a_new_primary_contact_demotes_the_old_one(app, client, make, login_as):
    school = make.school()
    student = make.student(school)
    first = make.guardian(student, is_primary_contact=True)
    login_as("administrator", schools=[school])
    response = post_form(
        client,
        f"/students/{student}/guardians/new",
        {
            "first_name": "New",
            "last_name": "Primary",
            "relationship": "grandparent",
            "is_primary_contact": "y",
            "legal_restriction": "none",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        links = db.session.scalars(sa.select(StudentGuardian).order_by(StudentGuardian.id)).all()
        assert [link.is_primary_contact for link in links] == [False, True]
        assert links[0].id == first


def test_database_allows_one_primary_contact_per_student(make):
    import pytest

    school = make.school()
    student = make.student(school)
    make.guardian(student, is_primary_contact=True)
    with pytest.raises(sa.exc.IntegrityError):
        make.guardian(student, is_primary_contact=True)
