"""Disciplinary actions: only administrators record them, only for a responsible student of an
incident in their schools; a retried request stores once; the page form keeps what was typed."""

from datetime import timedelta

import sqlalchemy as sa

from caseflow.discipline.models import DisciplineAction
from caseflow.extensions import db
from tests.helpers import FROZEN_NOW, csrf_token

# The school day after the incident (which the tests report an hour before the frozen clock).
ACTION_DAY = (FROZEN_NOW + timedelta(days=1)).date().isoformat()


def _incident(client, lincoln, api_token, payload) -> int:
    response = client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DisciplineAction))


def test_an_administrator_records_a_suspension_once(app, client, make, lincoln, api_token, payload):
    incident = _incident(client, lincoln, api_token, payload)
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    url = f"/api/v1/incidents/{incident}/discipline-actions"
    body = {
        "student_id": lincoln.student,
        "action_code": "In School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "2",
    }
    first = client.post(url, json=body, headers=admin)
    assert first.status_code == 201, first.get_json()
    again = client.post(url, json=body, headers=admin)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert _count(app) == 1
    listed = client.get(url, headers=admin).get_json()
    assert [(a["action_code"], a["length_days"], a["label"]) for a in listed] == [
        ("In School Suspension", "2.00", "In-school suspension")
    ]


def test_bad_actions_are_refused_per_field_and_store_nothing(app, client, make, lincoln, api_token, payload):
    incident = _incident(client, lincoln, api_token, payload)
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    url = f"/api/v1/incidents/{incident}/discipline-actions"
    good = {
        "student_id": lincoln.student,
        "action_code": "Out of School Suspension",
        "action_date": ACTION_DAY,
    }
    cases = [
        ({**good, "action_code": "Detention forever"}, "action_code"),
        ({**good, "student_id": lincoln.classmate}, "student_id"),  # not responsible in it
        ({**good, "length_days": "-1"}, "length_days"),
        ({**good, "action_date": "yesterday"}, "action_date"),
        ({k: v for k, v in good.items() if k != "action_date"}, "action_date"),
    ]
    for body, field in cases:
        response = client.post(url, json=body, headers=admin)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    assert _count(app) == 0


def test_only_administrators_of_the_school_record_actions(app, client, make, lincoln, api_token, payload):
    incident = _incident(client, lincoln, api_token, payload)
    url = f"/api/v1/incidents/{incident}/discipline-actions"
    body = {"student_id": lincoln.student, "action_code": "Expulsion", "action_date": ACTION_DAY}
    for who in (
        lincoln.teacher,
        make.user("counselor", schools=[lincoln.school]),
        make.user("district_auditor", district_wide=True),
    ):
        assert client.post(url, json=body, headers=api_token(who)).status_code == 403
    elsewhere = make.user("administrator", schools=[lincoln.other_school])
    assert client.post(url, json=body, headers=api_token(elsewhere)).status_code in (403, 404)
    assert _count(app) == 0


def test_the_incident_page_form_keeps_what_was_typed(
    app, client, make, lincoln, login_as, api_token, payload
):
    incident = _incident(client, lincoln, api_token, payload)
    login_as("administrator", schools=[lincoln.school])
    page = f"/incidents/{incident}"
    assert b"Record a disciplinary action" in client.get(page).data
    token = csrf_token(client, page)
    form = {
        "csrf_token": token,
        "student_id": str(lincoln.student),
        "action_code": "In School Suspension",
        "action_date": "",
        "length_days": "1.5",
        "note": "Agreed with the family",
    }
    bad = client.post(f"{page}/discipline-actions", data=form)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Agreed with the family" in html and 'value="1.5"' in html and 'id="action_date-error"' in html
    assert _count(app) == 0
    ok = client.post(f"{page}/discipline-actions", data={**form, "action_date": ACTION_DAY})
    assert ok.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "In-school suspension" in shown and _count(app) == 1


def test_who_sees_the_actions(app, client, make, lincoln, api_token, payload, login_as):
    incident = _incident(client, lincoln, api_token, payload)
    url = f"/api/v1/incidents/{incident}/discipline-actions"
    assert client.get(url, headers=api_token(lincoln.teacher)).status_code == 403
    assert (
        client.get(url, headers=api_token(make.user("counselor", schools=[lincoln.school]))).status_code
        == 403
    )
    assert (
        client.get(url, headers=api_token(make.user("district_auditor", district_wide=True))).status_code
        == 200
    )
    login_as("counselor", schools=[lincoln.school])
    assert "Disciplinary actions" not in client.get(f"/incidents/{incident}").get_data(as_text=True)
