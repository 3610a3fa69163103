"""GET /api/v1/exports/edfi/discipline: who may export, what, in a fixed number of queries."""

from datetime import timedelta

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db

URL = "/api/v1/exports/edfi/discipline"


def _log(client, headers, payload, **overrides):
    response = client.post("/api/v1/incidents", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _school_code(app, school_id):
    from caseflow.people.models import School

    with app.app_context():
        return db.session.get(School, school_id).code


def test_administrator_exports_incidents_of_their_school(app, client, make, lincoln, payload, api_token):
    admin = make.user("administrator", schools=[lincoln.school])
    teacher = api_token(lincoln.teacher)
    incident_id = _log(
        client,
        teacher,
        payload,
        behaviors=["fighting", "disruption"],
        immediate_actions=["sent_to_office"],
        students=[
            {"student_id": lincoln.student, "role": "responsible"},
            {"student_id": lincoln.classmate, "role": "harmed"},
        ],
        description="Ana pushed Ben into the lockers during the passing period.",
    )
    recorded = client.post(
        f"/api/v1/incidents/{incident_id}/discipline-actions",
        json={
            "student_id": lincoln.student,
            "action_code": "Removal from Classroom",
            "action_date": now_utc().date().isoformat(),
        },
        headers=api_token(admin),
    )
    assert recorded.status_code == 201, recorded.get_json()
    response = client.get(URL, headers=api_token(admin))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [incident] = body["disciplineIncidents"]
    assert incident["incidentIdentifier"] == f"CF-{incident_id}"
    assert incident["schoolReference"] == {"schoolId": "LMS"}
    assert incident["incidentLocationDescriptor"] == "uri://ed-fi.org/IncidentLocationDescriptor#Classroom"
    assert {b["behaviorDescriptor"] for b in incident["behaviors"]} == {
        "uri://ed-fi.org/BehaviorDescriptor#School Violation",
        "uri://ed-fi.org/BehaviorDescriptor#School Code of Conduct",
    }
    assert incident["reportedToLawEnforcement"] is False
    assert len(body["studentDisciplineIncidentBehaviorAssociations"]) == 2
    [victim] = body["studentDisciplineIncidentNonOffenderAssociations"]
    [action] = body["disciplineActions"]
    assert action["disciplines"] == [
        {"disciplineDescriptor": "uri://ed-fi.org/DisciplineDescriptor#Removal from Classroom"}
    ]
    with app.app_context():
        from caseflow.people.models import Student

        ana, ben = db.session.get(Student, lincoln.student), db.session.get(Student, lincoln.classmate)
        assert action["studentReference"] == {"studentUniqueId": ana.local_id}
        assert victim["studentReference"] == {"studentUniqueId": ben.local_id}
    text = response.get_data(as_text=True)
    for private in ("Ana", "Reyes", "Ben", "lockers", "passing period"):
        assert private not in text


def test_export_is_audited(app, client, make, lincoln, payload, api_token):
    from caseflow.audit.models import AuditEvent

    auditor = make.user("district_auditor", district_wide=True)
    _log(client, api_token(lincoln.teacher), payload)
    assert client.get(f"{URL}?from=2000-01-01", headers=api_token(auditor)).status_code == 200
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.edfi_discipline"))
        assert event.actor_id == auditor.id
        assert event.changes["from"] == "2000-01-01" and event.changes["counts"]["disciplineIncidents"] == 1


def test_scope_is_the_schools_served(app, client, make, lincoln, payload, api_token):
    other_admin = make.user("administrator", schools=[lincoln.other_school])
    _log(client, api_token(lincoln.teacher), payload)
    headers = api_token(other_admin)
    assert client.get(URL, headers=headers).get_json()["disciplineIncidents"] == []
    refused = client.get(f"{URL}?school_id={lincoln.school}", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_who_may_export(client, make, lincoln, api_token):
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=api_token(lincoln.teacher)).status_code == 403
    counselor = make.user("counselor", schools=[lincoln.school])
    assert client.get(URL, headers=api_token(counselor)).status_code == 403
    for role in ("administrator", "district_auditor"):
        user = make.user(role, schools=[lincoln.school])
        assert client.get(URL, headers=api_token(user)).status_code == 200, role


def test_bad_filters_get_per_field_messages(client, make, lincoln, api_token):
    headers = api_token(make.user("administrator", schools=[lincoln.school]))
    cases = {
        "school_id=abc": "school_id",
        "school_id=0": "school_id",
        "school_id=99999999999": "school_id",
        "school_id=999999": "school_id",  # no such school
        "from=2026-13-01": "from",
        "to=9999-12-31": "to",
        "from=2026-03-02&to=2026-03-01": "to",
    }
    for query, field in cases.items():
        response = client.get(f"{URL}?{query}", headers=headers)
        assert response.status_code == 422, (query, response.get_json())
        assert field in response.get_json()["error"]["fields"], query


def test_school_and_period_filters(app, client, make, lincoln, payload, api_token):
    admin = api_token(make.user("administrator", district_wide=True))
    teacher = api_token(lincoln.teacher)
    other_teacher = api_token(make.user("teacher", schools=[lincoln.other_school]))
    old = _log(client, teacher, payload, occurred_at=(now_utc() - timedelta(days=40)).isoformat())
    new = _log(client, teacher, payload)
    _log(
        client,
        other_teacher,
        payload,
        school_id=lincoln.other_school,
        students=[{"student_id": lincoln.outsider, "role": "responsible"}],
    )

    def ids(query):
        response = client.get(f"{URL}?{query}", headers=admin)
        assert response.status_code == 200, response.get_json()
        return [
            int(i["incidentIdentifier"].removeprefix("CF-"))
            for i in response.get_json()["disciplineIncidents"]
        ]

    assert len(ids("")) == 3
    assert ids(f"school_id={lincoln.school}") == [old, new]
    since = (now_utc() - timedelta(days=10)).date().isoformat()
    assert ids(f"school_id={lincoln.school}&from={since}") == [new]
    assert ids(f"school_id={lincoln.school}&to={since}") == [old]


def test_reported_to_law_enforcement_from_a_police_response(app, client, make, lincoln, payload, api_token):
    from caseflow.escalations.models import EmergencyResponse

    admin = make.user("administrator", schools=[lincoln.school])
    incident_id = _log(client, api_token(lincoln.teacher), payload)
    with app.app_context():
        from caseflow.people.models import School

        school = db.session.get(School, lincoln.school)
        db.session.add(
            EmergencyResponse(
                district_id=school.district_id,
                school_id=school.id,
                student_id=lincoln.student,
                incident_id=incident_id,
                called_at=now_utc(),
                caller="Front office",
                what_happened="Police called directly.",
                recorded_by_id=admin.id,
                justification_due_at=now_utc() + timedelta(days=1),
            )
        )
        db.session.commit()
    [incident] = client.get(URL, headers=api_token(admin)).get_json()["disciplineIncidents"]
    assert incident["reportedToLawEnforcement"] is True


def test_queries_do_not_grow_with_incidents(app, client, make, lincoln, payload, api_token, count_queries):
    headers = api_token(make.user("administrator", schools=[lincoln.school]))
    teacher = api_token(lincoln.teacher)

    def log(n):
        for _ in range(n):
            student = make.student(lincoln.school)
            _log(
                client,
                teacher,
                payload,
                behaviors=["fighting", "defiance"],
                immediate_actions=["sent_to_office"],
                students=[
                    {"student_id": student, "role": "responsible"},
                    {"student_id": lincoln.classmate, "role": "witness"},
                ],
            )

    def queries():
        with count_queries() as counter:
            response = client.get(URL, headers=headers)
            assert response.status_code == 200
        return counter.n, len(response.get_json()["disciplineIncidents"])

    log(2)
    queries()  # the token's first use is recorded once
    few, count = queries()
    assert count == 2
    log(15)
    many, count = queries()
    assert count == 17
    assert many == few
