"""The incident pages: the phone form, errors with values kept, one incident per form,
My incidents, corrections and addenda, the student finder."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from tests.helpers import sign_in


def _token(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def open_form(client) -> tuple[str, dict]:
    page = client.get("/incidents/new").get_data(as_text=True)
    return page, {"csrf_token": _token(page, "csrf_token"), "form_token": _token(page, "form_token")}


def minor_incident(lincoln, tokens, **overrides):
    local = (now_utc() - timedelta(minutes=30)).astimezone(ZoneInfo("America/Chicago"))
    data = {
        **tokens,
        "school_id": str(lincoln.school),
        "student_ids": [str(lincoln.student)],
        f"role_{lincoln.student}": "responsible",
        "behaviors": ["disruption"],
        "occurred_date": local.date().isoformat(),
        "occurred_time": local.strftime("%H:%M"),
        "location": "Classroom",
        "description": "Kept talking over the lesson after two reminders.",
        "injury": "none",
        "action": "save",
    }
    data.update(overrides)
    return data


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Incident.id)))


def test_teacher_logs_a_minor_incident_and_finds_it_in_my_incidents(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    page, tokens = open_form(client)
    assert "Log an incident" in page
    response = client.post("/incidents/new", data=minor_incident(lincoln, tokens))
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Incident logged" in detail and "Ana Reyes" in detail and "Yours to follow up in class" in detail
    mine = client.get("/incidents/mine").get_data(as_text=True)
    assert "Disruption" in mine and "Ana Reyes" in mine and "Routed" in mine


def test_errors_come_back_beside_their_fields_with_everything_kept(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    data = minor_incident(
        lincoln,
        tokens,
        description="",
        location="",
        behaviors=[],
        occurred_date="2099-01-01",
        threat_made="y",
        threat_words="",
        **{f"clinician_{lincoln.student}": "y"},
    )
    response = client.post("/incidents/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("description", "location", "behaviors", "occurred_at", "threat_words"):
        assert f'data-field="{field}"' in page, field
    assert 'value="2099-01-01"' in page and "Ana Reyes" in page
    assert re.search(rf'name="clinician_{lincoln.student}" value="y"\s+checked', page)
    assert _token(page, "form_token") == tokens["form_token"]  # the same form, still one-time
    assert count(app) == 0


def test_resubmitting_the_same_form_stores_one_incident(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    data = minor_incident(lincoln, tokens)
    first = client.post("/incidents/new", data=data)
    second = client.post("/incidents/new", data=data)  # a double tap, or the back button and submit
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app) == 1
    assert "already saved" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_a_new_form_is_a_new_incident(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    for _ in range(2):
        _, tokens = open_form(client)
        assert client.post("/incidents/new", data=minor_incident(lincoln, tokens)).status_code == 302
    assert count(app) == 2


def test_student_of_another_school_is_refused_on_the_form(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    data = minor_incident(lincoln, tokens, student_ids=[str(lincoln.outsider)])
    response = client.post("/incidents/new", data=data)
    assert response.status_code == 422 and "not a student of Lincoln Middle" in response.get_data(
        as_text=True
    )
    assert count(app) == 0


def test_student_finder_is_scoped_and_bounded(app, client, make, lincoln):
    for n in range(30):
        make.student(lincoln.school, first_name=f"Reyna{n}", last_name="Many")
    sign_in(client, lincoln.teacher)
    found = client.get("/incidents/student-search?q=rey").get_json()
    assert 1 <= len(found) <= 15
    assert client.get("/incidents/student-search?q=stone").get_json() == []  # other school
    from caseflow.people.models import Student

    with app.app_context():
        local_id = db.session.get(Student, lincoln.student).local_id
    by_id = client.get(f"/incidents/student-search?q={local_id}").get_json()
    assert [s["id"] for s in by_id] == [lincoln.student]


def test_finding_a_student_without_javascript_keeps_the_form(client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    data = minor_incident(
        lincoln,
        tokens,
        student_ids=[],
        student_q="cole",
        action="find",
        description="Half-written description",
    )
    page = client.post("/incidents/new", data=data).get_data(as_text=True)
    assert "Ben" in page and "Half-written description" in page
    assert f'name="student_ids" value="{lincoln.classmate}"' in page


def test_reporter_edits_until_work_starts_then_adds_an_addendum(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    location = client.post("/incidents/new", data=minor_incident(lincoln, tokens)).headers["Location"]
    incident_id = int(location.rsplit("/", 1)[1])
    edit_page = client.get(f"/incidents/{incident_id}/edit").get_data(as_text=True)
    data = minor_incident(
        lincoln,
        {"csrf_token": _token(edit_page, "csrf_token")},
        description="Corrected: talked over the lesson after three reminders.",
        version=_token(edit_page, "version"),
    )
    assert client.post(f"/incidents/{incident_id}/edit", data=data).status_code == 302
    # A second save from the same, now stale, page is refused rather than overwriting.
    stale = client.post(f"/incidents/{incident_id}/edit", data={**data, "description": "Stale"})
    assert stale.status_code == 409 and "changed since you opened it" in stale.get_data(as_text=True)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.description.startswith("Corrected")
        assert incident.status == "routed"  # triaged at once; still correctable
        incident.status = "case_open"  # someone started working on it
        db.session.commit()
    assert client.get(f"/incidents/{incident_id}/edit").status_code == 302  # back to the incident
    detail = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    response = client.post(
        f"/incidents/{incident_id}/addenda",
        data={"csrf_token": _token(detail, "csrf_token"), "text": "The parent called back."},
    )
    assert response.status_code == 302
    assert "The parent called back." in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_empty_addendum_is_a_field_error(client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    location = client.post("/incidents/new", data=minor_incident(lincoln, tokens)).headers["Location"]
    detail = client.get(location).get_data(as_text=True)
    response = client.post(
        f"{location}/addenda", data={"csrf_token": _token(detail, "csrf_token"), "text": " "}
    )
    assert response.status_code == 422


def test_administrator_sees_school_incidents_with_filters(app, client, make, lincoln):
    sign_in(client, lincoln.teacher)
    for behavior in ("disruption", "defiance"):
        _, tokens = open_form(client)
        client.post("/incidents/new", data=minor_incident(lincoln, tokens, behaviors=[behavior]))
    admin_client = app.test_client()
    sign_in(admin_client, make.user("administrator", schools=[lincoln.school]))
    page = admin_client.get("/incidents").get_data(as_text=True)
    assert "2 incidents" in page
    filtered = admin_client.get("/incidents?behavior=defiance").get_data(as_text=True)
    assert "1 incident" in filtered and "Defiance" in filtered
    from caseflow.people.models import Student

    with app.app_context():
        ana, ben = (db.session.get(Student, i).local_id for i in (lincoln.student, lincoln.classmate))
    assert "0 incidents" in admin_client.get(f"/incidents?student={ben}").get_data(as_text=True)
    assert "2 incidents" in admin_client.get(f"/incidents?student={ana.lower()}").get_data(as_text=True)


def test_other_teachers_cannot_open_an_incident(app, client, make, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    location = client.post("/incidents/new", data=minor_incident(lincoln, tokens)).headers["Location"]
    other = app.test_client()
    sign_in(other, make.user("teacher", schools=[lincoln.school]))
    assert other.get(location).status_code == 404
    assert other.get(f"{location}/edit").status_code == 404
