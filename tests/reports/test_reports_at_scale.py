"""The dashboard and the escalation audit at any size: a fixed number of statements however many
rows they count or list, and behavior counts that stay right when an incident is corrected,
moved or deleted (each behavior row carries a copy of its incident's school and time)."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.reports.periods import current_school_year
from tests.helpers import sign_in


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _statements(client, count_queries, path) -> int:
    with count_queries() as counted:
        assert client.get(path).status_code == 200
    return counted.n


def _add_escalations_and_emergencies(app, g, incident_id: int, n: int) -> None:
    """`n` refused requests, each with the gate's refusal, and `n` emergency responses, written
    in bulk (the audit reads them; how they came to be is the gate's tests' business)."""
    from caseflow.escalations.models import EmergencyResponse, Escalation, GateRefusal
    from caseflow.incidents.models import Incident

    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        at = now_utc() - timedelta(minutes=30)
        ids = db.session.scalars(
            sa.insert(Escalation).returning(Escalation.id),
            [
                {
                    "district_id": incident.district_id,
                    "school_id": incident.school_id,
                    "student_id": g.student,
                    "incident_id": incident_id,
                    "criteria": ["firearm"],
                    "justification": f"Request {i}.",
                    "rules_version": "test",
                    "status": "refused",
                    "requested_by_id": g.people.requester.id,
                    "requested_at": at,
                }
                for i in range(n)
            ],
        ).all()
        db.session.execute(
            sa.insert(GateRefusal),
            [
                {
                    "escalation_id": i,
                    "stage": "request",
                    "actor_id": g.people.requester.id,
                    "at": at,
                    "reasons": ["No criterion of the agreement is met.", f"Refusal {i}."],
                }
                for i in ids
            ],
        )
        db.session.execute(
            sa.insert(EmergencyResponse),
            [
                {
                    "district_id": incident.district_id,
                    "school_id": incident.school_id,
                    "student_id": g.student,
                    "incident_id": incident_id if i % 2 else None,
                    "called_at": at - timedelta(minutes=i % 50),
                    "caller": "Front office",
                    "what_happened": "A life was in danger; 911 was called.",
                    "recorded_by_id": g.people.requester.id,
                    "recorded_at": at,
                    "justification_due_at": at + timedelta(days=1),
                }
                for i in range(n)
            ],
        )
        db.session.commit()


def test_the_escalation_audit_costs_the_same_statements_at_any_size(
    app, client, gate_world, arrested, count_queries
):
    g = gate_world
    sign_in(client, g.people.auditor)
    paths = ["/reports/escalations.csv", "/reports/escalations", "/reports/escalations?kind=refused"]
    incident_id = g.incident()
    _add_escalations_and_emergencies(app, g, incident_id, 5)
    small = {p: _statements(client, count_queries, p) for p in paths}
    assert len(_csv(client.get(paths[0]))) == 1 + 5 + 5
    # More than one batch of any IN list a loader would cut (500): the count must not grow.
    _add_escalations_and_emergencies(app, g, incident_id, 595)
    large = {p: _statements(client, count_queries, p) for p in paths}
    assert small == large
    rows = _csv(client.get(paths[0]))
    assert len(rows) == 1 + 600 + 600
    refused = [r for r in rows if r["status"] == "Refused (no criterion met)"]
    assert len(refused) == 600
    assert all(r["refusals"].startswith("No criterion of the agreement is met.; Refusal ") for r in refused)
    emergencies = [r for r in rows if r["kind"] == "Emergency police response"]
    assert len(emergencies) == 600
    assert {r["student_role"] for r in emergencies} == {"Responsible", ""}
    assert all(
        r["requested_by"].startswith("Front office (recorded by Test Administrator ") for r in emergencies
    )
    # The arrest keeps everything the audit says about it.
    [arrest] = [r for r in rows if r["id"] == str(arrested) and r["kind"].startswith("Request")]
    assert arrest["outcome"] == "Arrest" and arrest["guardian_reached"] == "yes" and arrest["approver"]


def _log_incidents(app, school_id: int, student_id: int, reporter_id: int, n: int) -> None:
    from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
    from caseflow.people.models import School

    with app.app_context():
        school = db.session.get(School, school_id)
        at = now_utc() - timedelta(days=2)
        for i in range(n):
            incident = Incident(
                district_id=school.district_id,
                school_id=school_id,
                occurred_at=at - timedelta(hours=i % 300),
                location_code="Classroom" if i % 3 else "Hallway",
                description=f"Bulk incident {i}.",
                status="resolved",
                reported_by_id=reporter_id,
                taxonomy_version="test",
            )
            incident.behaviors = [
                IncidentBehavior(behavior_code=c, position=p)
                for p, c in enumerate(["disruption", "defiance"][: 1 + i % 2])
            ]
            incident.students = [IncidentStudent(student_id=student_id, role="responsible")]
            db.session.add(incident)
        db.session.commit()


def test_the_dashboard_costs_the_same_statements_at_any_size(app, client, make, lincoln, count_queries):
    admin = make.user("administrator", schools=[lincoln.school, lincoln.other_school])
    sign_in(client, admin)
    paths = ["/reports/dashboard", f"/reports/dashboard?school_id={lincoln.school}"]
    _log_incidents(app, lincoln.school, lincoln.student, lincoln.teacher.id, 2)
    small = {p: _statements(client, count_queries, p) for p in paths}
    _log_incidents(app, lincoln.school, lincoln.student, lincoln.teacher.id, 300)
    _log_incidents(app, lincoln.other_school, lincoln.outsider, lincoln.teacher.id, 300)
    large = {p: _statements(client, count_queries, p) for p in paths}
    assert small == large
    page = client.get("/reports/dashboard").get_data(as_text=True)
    assert "<strong>602</strong> incidents" in page


def _behaviors(client, headers, school_id: int, year: int | None = None) -> dict:
    year = year or current_school_year()
    body = client.get(
        f"/api/v1/reports/dashboard?school_id={school_id}&year={year}", headers=headers
    ).get_json()
    chart = next(c for c in body["charts"] if c["key"] == "behavior")
    return dict(zip(chart["labels"], chart["values"], strict=True))


def test_behavior_counts_follow_an_incident_corrected_moved_or_deleted(
    app, client, make, lincoln, payload, api_token
):
    from caseflow.auth.models import User
    from caseflow.db import transaction
    from caseflow.incidents import services
    from caseflow.incidents.models import Incident, IncidentBehavior
    from caseflow.incidents.schemas import IncidentInputSchema

    admin = api_token(make.user("administrator", schools=[lincoln.school, lincoln.other_school]))
    created = client.post(
        "/api/v1/incidents",
        json=payload(behaviors=["disruption", "defiance"]),
        headers=api_token(lincoln.teacher),
    )
    assert created.status_code == 201, created.get_json()
    incident_id = created.get_json()["id"]
    this_year = _behaviors(client, admin, lincoln.school)
    assert sorted(this_year.values()) == [1, 1]

    # The reporter corrects it: a year earlier, one behavior kept and one replaced.
    last_year = now_utc() - timedelta(days=365)
    with app.app_context():
        actor = db.session.get(User, lincoln.teacher.id)
        incident = db.session.get(Incident, incident_id)
        corrected = payload(occurred_at=last_year.isoformat(), behaviors=["defiance", "self_harm"])
        with transaction():
            services.update_incident(
                actor=actor,
                incident=incident,
                data=IncidentInputSchema().load(corrected),
                version=incident.version,
            )
    assert _behaviors(client, admin, lincoln.school) == {}
    before = _behaviors(client, admin, lincoln.school, current_school_year() - 1)
    assert sorted(before.values()) == [1, 1] and len(before) == 2

    # Moved to another school by a plain UPDATE: the database carries the copy along.
    with app.app_context():
        db.session.execute(
            sa.update(Incident).where(Incident.id == incident_id).values(school_id=lincoln.other_school)
        )
        db.session.commit()
        copies = db.session.execute(
            sa.select(IncidentBehavior.school_id, IncidentBehavior.occurred_at).where(
                IncidentBehavior.incident_id == incident_id
            )
        ).all()
        incident = db.session.get(Incident, incident_id)
        assert copies == [(lincoln.other_school, incident.occurred_at)] * 2
    assert _behaviors(client, admin, lincoln.school, current_school_year() - 1) == {}
    assert _behaviors(client, admin, lincoln.other_school, current_school_year() - 1) == before

    # Deleted (an incident written without triage, which nothing else refers to): nothing left.
    _log_incidents(app, lincoln.school, lincoln.student, lincoln.teacher.id, 1)
    assert _behaviors(client, admin, lincoln.school) == {"Disruption": 1}
    with app.app_context():
        bulk = db.session.scalar(sa.select(Incident).where(Incident.description == "Bulk incident 0."))
        db.session.delete(bulk)
        db.session.commit()
    assert _behaviors(client, admin, lincoln.school) == {}


def test_a_behavior_whose_copy_disagrees_with_its_incident_is_refused(
    app, client, lincoln, payload, api_token
):
    from caseflow.incidents.models import IncidentBehavior

    created = client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    incident_id = created.get_json()["id"]
    with app.app_context():
        [(occurred_at,)] = db.session.execute(
            sa.select(IncidentBehavior.occurred_at).where(IncidentBehavior.incident_id == incident_id)
        ).all()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.insert(IncidentBehavior).values(
                    incident_id=incident_id,
                    behavior_code="defiance",
                    position=1,
                    school_id=lincoln.other_school,
                    occurred_at=occurred_at,
                )
            )
        db.session.rollback()


def test_hours_weekdays_and_months_are_each_schools_own(app, make, lincoln):
    """The dashboard's local parts (on PostgreSQL counted by UTC bins and converted per zone)
    equal each incident converted on its own, across the changes of daylight saving time and in
    zones whose offsets are not whole hours."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from caseflow.incidents.models import Incident
    from caseflow.people.models import School
    from caseflow.reports import dashboard
    from caseflow.reports.periods import SCHOOL_YEAR_START_MONTH, year_bounds

    zones = ["America/Chicago", "America/St_Johns", "Asia/Kathmandu", "America/Denver"]
    ids = [make.school(f"School in {z}", time_zone=z) for z in zones]
    with app.app_context():
        district_id = db.session.get(School, ids[0]).district_id
        for k, school_id in enumerate(ids):
            for first in (datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC)):
                for i in range(60):
                    db.session.add(
                        Incident(
                            district_id=district_id,
                            school_id=school_id,
                            occurred_at=first + timedelta(minutes=53 * i + 7 * k),
                            location_code="Classroom",
                            description="Counted in its school's time.",
                            status="resolved",
                            reported_by_id=lincoln.teacher.id,
                            taxonomy_version="test",
                        )
                    )
        db.session.commit()
        schools = db.session.scalars(sa.select(School).where(School.id.in_(ids)).order_by(School.id)).all()
        start, end = year_bounds(2025, schools[0].time_zone)
        expected = {}
        for occurred, tz in db.session.execute(
            sa.select(Incident.occurred_at, School.time_zone).join(School).where(School.id.in_(ids))
        ):
            local = occurred.astimezone(ZoneInfo(tz))
            key = ((local.month - SCHOOL_YEAR_START_MONTH) % 12, local.weekday(), local.hour)
            expected[key] = expected.get(key, 0) + 1
        parts = dashboard._local_parts(schools, start, end)
        assert dict(parts) == expected and {type(n) for n in parts.values()} == {int}  # whole numbers in JSON
        assert sum(expected.values()) == 4 * 120
        assert dashboard._bin_seconds(["America/Chicago", "America/Denver"], start, end) == 3600
        assert dashboard._bin_seconds(["America/Chicago", "America/St_Johns"], start, end) == 1800
        assert dashboard._bin_seconds(zones, start, end) == 900
