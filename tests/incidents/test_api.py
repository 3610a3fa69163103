"""POST/GET /api/v1/incidents: validation per field, idempotency, access."""

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentStudent


def count_incidents(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Incident.id)))


def post(client, headers, body, **extra):
    return client.post("/api/v1/incidents", json=body, headers={**headers, **extra})


def test_teacher_logs_an_incident(app, client, lincoln, payload, api_token):
    headers = api_token(lincoln.teacher)
    response = post(client, headers, payload(immediate_actions=["redirected", "parent_called"]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "routed" and body["behaviors"] == ["disruption"]
    assert body["students"][0]["student_id"] == lincoln.student
    assert body["immediate_actions"] == ["redirected", "parent_called"]
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{body['id']}")
    assert client.get(response.headers["Location"], headers=headers).get_json()["id"] == body["id"]


def test_creation_is_audited(app, client, lincoln, payload, api_token):
    from caseflow.audit.models import AuditEvent

    post(client, api_token(lincoln.teacher), payload())
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "incident.created"))
        assert event.changes["behaviors"] == ["disruption"]
        assert event.actor_label == lincoln.teacher.email


def _without(key):
    def change(body):
        body.pop(key)
        return body

    return change


def _set(key, value):
    def change(body):
        body[key] = value
        return body

    return change


FUTURE = (now_utc() + timedelta(days=1)).isoformat()
INVALID = [
    # (case, change to the payload, field expected in the errors)
    ("missing school", _without("school_id"), "school_id"),
    ("missing time", _without("occurred_at"), "occurred_at"),
    ("missing location", _without("location"), "location"),
    ("missing behaviors", _without("behaviors"), "behaviors"),
    ("missing description", _without("description"), "description"),
    ("missing students", _without("students"), "students"),
    ("blank description", _set("description", "   "), "description"),
    ("no behavior", _set("behaviors", []), "behaviors"),
    ("no student", _set("students", []), "students"),
    ("school not a number", _set("school_id", "lincoln"), "school_id"),
    ("behaviors not a list", _set("behaviors", "disruption"), "behaviors"),
    ("students not a list", _set("students", "Ana"), "students"),
    ("time not a time", _set("occurred_at", "yesterday"), "occurred_at"),
    ("time as a number", _set("occurred_at", 1700000000), "occurred_at"),
    ("time without zone", _set("occurred_at", "2026-11-20T10:00:00"), "occurred_at"),
    ("time in the future", _set("occurred_at", FUTURE), "occurred_at"),
    ("time two years ago", _set("occurred_at", (now_utc() - timedelta(days=800)).isoformat()), "occurred_at"),
    ("threat flag not boolean", _set("threat_made", "maybe"), "threat_made"),
    ("unknown location", _set("location", "The Moon"), "location"),
    ("unknown behavior", _set("behaviors", ["flying"]), "behaviors.0"),
    ("unknown weapon", _set("weapon", "Lightsaber"), "weapon"),
    ("unknown injury", _set("injury", "bad"), "injury"),
    ("unknown action", _set("immediate_actions", ["zap"]), "immediate_actions.0"),
    ("unknown role", _set("students", [{"student_id": 1, "role": "villain"}]), "students.0.role"),
    ("unknown field", _set("mood", "grumpy"), "mood"),
    ("oversize description", _set("description", "x" * 5001), "description"),
    ("threat without words", _set("threat_made", True), "threat_words"),
    (
        "oversize threat words",
        lambda b: {**b, "threat_made": True, "threat_words": "y" * 2001},
        "threat_words",
    ),
    ("words without threat", _set("threat_words", "I will get you"), "threat_made"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _, c, f in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_field_gets_its_error_and_stores_nothing(
    app, client, lincoln, payload, api_token, change, field
):
    response = post(client, api_token(lincoln.teacher), change(payload()))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    # The documented shape: every field names a list of messages, a field inside a list by its path.
    assert all(isinstance(m, list) and all(isinstance(t, str) for t in m) for m in error["fields"].values())
    assert count_incidents(app) == 0


def test_student_of_another_school(app, client, lincoln, payload, api_token):
    body = payload(
        students=[
            {"student_id": lincoln.student, "role": "responsible"},
            {"student_id": lincoln.outsider, "role": "harmed"},
        ]
    )
    response = post(client, api_token(lincoln.teacher), body)
    assert response.status_code == 422
    assert (
        "not a student of Lincoln Middle"
        in response.get_json()["error"]["fields"]["students.1.student_id"][0]
    )
    assert count_incidents(app) == 0


def test_school_the_teacher_does_not_serve(app, client, lincoln, payload, api_token):
    body = payload(
        school_id=lincoln.other_school, students=[{"student_id": lincoln.outsider, "role": "responsible"}]
    )
    response = post(client, api_token(lincoln.teacher), body)
    assert response.status_code == 422 and "school_id" in response.get_json()["error"]["fields"]
    assert count_incidents(app) == 0


def test_unknown_student(app, client, lincoln, payload, api_token):
    response = post(
        client, api_token(lincoln.teacher), payload(students=[{"student_id": 999999, "role": "responsible"}])
    )
    assert response.status_code == 422 and count_incidents(app) == 0


def test_malformed_json_is_400(app, client, lincoln, api_token):
    headers = {**api_token(lincoln.teacher), "Content-Type": "application/json"}
    response = client.post("/api/v1/incidents", data='{"school_id": 1,', headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]
    assert count_incidents(app) == 0


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_wrong_content_type_is_415(app, client, lincoln, payload, api_token, content_type):
    headers = api_token(lincoln.teacher)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/v1/incidents", data=json.dumps(payload()), headers=headers)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert count_incidents(app) == 0


def test_body_too_large_is_413(app, client, lincoln, payload, api_token):
    response = post(client, api_token(lincoln.teacher), payload(description="x" * 2_000_000))
    assert response.status_code == 413 and count_incidents(app) == 0


def test_anonymous_gets_401_and_roles_without_intake_get_403(client, make, lincoln, payload, api_token):
    assert client.post("/api/v1/incidents", json=payload()).status_code == 401
    for role in ("school_resource_officer", "district_auditor", "system_administrator"):
        user = make.user(role, schools=[lincoln.school])
        assert post(client, api_token(user), payload()).status_code == 403, role


def test_same_idempotency_key_stores_once(app, client, lincoln, payload, api_token):
    headers = {**api_token(lincoln.teacher), "Idempotency-Key": "7f0c7a6e-retry"}
    body = payload()
    first = post(client, headers, body)
    second = post(client, headers, dict(reversed(list(body.items()))))  # same request, other key order
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_incidents(app) == 1


def test_same_key_with_another_body_is_refused(app, client, lincoln, payload, api_token):
    headers = {**api_token(lincoln.teacher), "Idempotency-Key": "k-1"}
    body = payload()
    assert post(client, headers, body).status_code == 201
    response = post(client, headers, {**body, "description": "Something else entirely."})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert count_incidents(app) == 1


def test_keys_are_per_reporter(app, client, make, lincoln, payload, api_token):
    other_teacher = make.user("teacher", schools=[lincoln.school])
    for user in (lincoln.teacher, other_teacher):
        assert post(client, {**api_token(user), "Idempotency-Key": "same"}, payload()).status_code == 201
    assert count_incidents(app) == 2


def test_malformed_idempotency_key(client, lincoln, payload, api_token):
    response = post(client, {**api_token(lincoln.teacher), "Idempotency-Key": "spaces are bad"}, payload())
    assert response.status_code == 422


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_store_one_incident(app, lincoln, payload, api_token, postgres_only):
    headers = {**api_token(lincoln.teacher), "Idempotency-Key": "concurrent-key"}
    body = payload()
    barrier = threading.Barrier(8)
    results = []

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/incidents", json=body, headers=headers)
        results.append((response.status_code, response.get_json().get("id")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in results} == {201}
    assert len({incident_id for _, incident_id in results}) == 1
    assert count_incidents(app) == 1


def test_reading_incidents_respects_role_and_school(app, client, make, lincoln, payload, api_token):
    incident_id = post(client, api_token(lincoln.teacher), payload()).get_json()["id"]
    readers = {
        "reporter": (lincoln.teacher, 200),
        "another teacher": (make.user("teacher", schools=[lincoln.school]), 404),
        "counselor (reviews triage)": (make.user("counselor", schools=[lincoln.school]), 200),
        "counselor elsewhere": (make.user("counselor", schools=[lincoln.other_school]), 404),
        "social worker": (make.user("social_worker", schools=[lincoln.school]), 404),
        "administrator": (make.user("administrator", schools=[lincoln.school]), 200),
        "administrator elsewhere": (make.user("administrator", schools=[lincoln.other_school]), 404),
        "district auditor": (make.user("district_auditor", district_wide=True), 200),
        "resource officer": (make.user("school_resource_officer", schools=[lincoln.school]), 403),
    }
    for name, (user, status) in readers.items():
        assert (
            client.get(f"/api/v1/incidents/{incident_id}", headers=api_token(user)).status_code == status
        ), name


def test_list_filters_and_paginates(app, client, make, lincoln, payload, api_token):
    headers = api_token(lincoln.teacher)
    for n in range(3):
        post(
            client,
            headers,
            payload(behaviors=["defiance"], occurred_at=(now_utc() - timedelta(hours=n + 1)).isoformat()),
        )
    post(client, headers, payload(location="Cafeteria area"))
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    body = client.get("/api/v1/incidents?behavior=defiance&per_page=2", headers=admin).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["pages"] == 2
    assert body["items"][0]["occurred_at"] > body["items"][1]["occurred_at"]
    assert client.get("/api/v1/incidents?location=Cafeteria%20area", headers=admin).get_json()["total"] == 1
    mine = client.get("/api/v1/incidents", headers=headers).get_json()
    newest = mine["items"][0]["status_summary"]  # the fourth incident in 30 days: the counselor's too
    assert mine["total"] == 4 and newest.endswith(" It is also yours to follow up in class.")
    other = api_token(make.user("teacher", schools=[lincoln.school]))
    assert client.get("/api/v1/incidents", headers=other).get_json()["total"] == 0
    bad = client.get("/api/v1/incidents?per_page=500&status=lost", headers=admin)
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"per_page", "status"}


def test_list_uses_the_same_number_of_queries_for_5_and_40_incidents(
    app, client, make, lincoln, payload, api_token, count_queries
):
    headers = api_token(lincoln.teacher)
    admin = api_token(make.user("administrator", schools=[lincoln.school]))

    def queries_for_list():
        with count_queries() as counter:
            assert client.get("/api/v1/incidents?per_page=100", headers=admin).status_code == 200
        return counter.n

    for _ in range(5):
        post(
            client,
            headers,
            payload(
                students=[
                    {"student_id": lincoln.student, "role": "responsible"},
                    {"student_id": lincoln.classmate, "role": "harmed"},
                ]
            ),
        )
    queries_for_list()  # the first call of a token also records its use
    few = queries_for_list()
    for _ in range(35):
        post(client, headers, payload())
    assert queries_for_list() == few


def test_clinician_flag_is_kept_per_student(app, client, lincoln, payload, api_token):
    body = payload(
        students=[
            {"student_id": lincoln.student, "role": "responsible", "with_clinician": True},
            {"student_id": lincoln.classmate, "role": "witness"},
        ]
    )
    assert post(client, api_token(lincoln.teacher), body).status_code == 201
    with app.app_context():
        flags = dict(
            db.session.execute(sa.select(IncidentStudent.student_id, IncidentStudent.with_clinician)).all()
        )
    assert flags == {lincoln.student: True, lincoln.classmate: False}


def test_an_unknown_or_blank_code_is_refused_in_words(client, lincoln, payload, api_token):
    headers = api_token(lincoln.teacher)
    blank = post(client, headers, payload(location="")).get_json()["error"]["fields"]["location"]
    assert blank == ["Choose the location from the list."]
    moon = post(client, headers, payload(location="The Moon")).get_json()["error"]["fields"]["location"]
    assert moon == ["“The Moon” is not a location the district uses: choose one from the list."]
    assert "code" not in " ".join(blank + moon)
