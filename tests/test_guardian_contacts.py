"""The guardian contact log: who, when, how, in which language, reached or not."""

from datetime import timedelta

from caseflow.db import now_utc
from tests.helpers import FROZEN_NOW, csrf_token


def test_contacts_through_the_api(client, make, lincoln, api_token, payload):
    counselor = make.user("counselor", schools=[lincoln.school])
    mother = make.guardian(lincoln.student, preferred_language="es", is_primary_contact=True)
    barred = make.guardian(lincoln.student, legal_restriction="no_contact")
    headers = api_token(counselor)
    url = f"/api/v1/students/{lincoln.student}/guardian-contacts"
    at = (now_utc() - timedelta(minutes=30)).isoformat()
    body = {"link_id": mother, "contacted_at": at, "method": "phone", "language": "es", "reached": False}
    assert client.post(url, json=body, headers=headers).status_code == 201
    # A notice about an incident names the incident, one of this student's.
    incident = client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    incident_id = incident.get_json()["id"]
    classmate_incident = client.post(
        "/api/v1/incidents",
        json=payload(students=[{"student_id": lincoln.classmate, "role": "responsible"}]),
        headers=api_token(lincoln.teacher),
    ).get_json()["id"]
    notice = {**body, "reached": True, "purpose": "incident_notice"}
    unnamed = client.post(url, json=notice, headers=headers)
    assert unnamed.status_code == 422 and "incident_id" in unnamed.get_json()["error"]["fields"]
    wrong = client.post(url, json={**notice, "incident_id": classmate_incident}, headers=headers)
    assert wrong.status_code == 422 and "incident_id" in wrong.get_json()["error"]["fields"]
    told = client.post(url, json={**notice, "incident_id": incident_id}, headers=headers)
    assert told.status_code == 201 and told.get_json()["incident_id"] == incident_id
    refused = client.post(url, json={**body, "link_id": barred}, headers=headers)
    assert refused.status_code == 422 and "no-contact" in refused.get_json()["error"]["fields"]["link_id"][0]
    future = client.post(
        url, json={**body, "contacted_at": (now_utc() + timedelta(hours=2)).isoformat()}, headers=headers
    )
    assert future.status_code == 422 and "future" in future.get_json()["error"]["fields"]["contacted_at"][0]
    other = client.post(url, json={**body, "link_id": make.guardian(lincoln.classmate)}, headers=headers)
    assert other.status_code == 422
    log = client.get(url, headers=headers).get_json()
    assert [(c["reached"], c["language"]) for c in log] == [(True, "es"), (False, "es")]


def test_who_sees_and_records_contacts(client, make, lincoln, api_token):
    url = f"/api/v1/students/{lincoln.student}/guardian-contacts"
    assert (
        client.get(url, headers=api_token(make.user("system_administrator", district_wide=True))).status_code
        == 403
    )
    assert (
        client.get(url, headers=api_token(make.user("district_auditor", district_wide=True))).status_code
        == 200
    )
    assert client.get(url, headers=api_token(lincoln.teacher)).status_code == 403
    assert (
        client.get(url, headers=api_token(make.user("counselor", schools=[lincoln.other_school]))).status_code
        == 403
    )
    auditor = api_token(make.user("district_auditor", district_wide=True))
    link = make.guardian(lincoln.student)
    body = {
        "link_id": link,
        "contacted_at": now_utc().isoformat(),
        "method": "email",
        "language": "en",
        "reached": True,
    }
    assert client.post(url, json=body, headers=auditor).status_code == 403


# Local times at the school (Chicago) typed into the form: the morning before the frozen clock.
TYPED_AT = (FROZEN_NOW - timedelta(days=1)).strftime("%Y-%m-%dT09:15")
CALLED_AT = (FROZEN_NOW - timedelta(days=1)).strftime("%Y-%m-%dT08:40")


def test_the_student_page_form_keeps_what_was_typed(client, make, lincoln, login_as):
    login_as("counselor", schools=[lincoln.school])
    link = make.guardian(lincoln.student, first_name="Maria")
    assert b"Guardian contacts" in client.get(f"/students/{lincoln.student}").data
    token = csrf_token(client, f"/students/{lincoln.student}")
    bad = client.post(
        f"/students/{lincoln.student}/guardian-contacts",
        data={
            "csrf_token": token,
            "link_id": str(link),
            "contacted_at": TYPED_AT,
            "method": "",
            "language": "es",
            "note": "Left a message",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Choose how" in html or "Must be one of" in html
    assert 'value="Left a message"' in html and f'value="{TYPED_AT}"' in html
    ok = client.post(
        f"/students/{lincoln.student}/guardian-contacts",
        data={
            "csrf_token": token,
            "link_id": str(link),
            "contacted_at": CALLED_AT,
            "method": "phone",
            "language": "es",
            "reached": "y",
        },
    )
    assert ok.status_code == 302
    shown = client.get(f"/students/{lincoln.student}").get_data(as_text=True)
    assert "Maria" in shown and "Phone call" in shown and "Spanish" in shown
