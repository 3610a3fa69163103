"""The demo district shows a living school: open work at every stage, made through the real
services (on the migrated test database: SQLite, or PostgreSQL with its triggers)."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.demo.generator import DEMO_PASSWORD, STAFF_EMAIL_DOMAIN, seed_demo
from caseflow.schooldays import school_calendar
from tests.helpers import csrf_token, sign_in

SMALL = 15


@pytest.fixture
def seeded(app):
    with app.app_context(), transaction():
        return seed_demo(seed=7, students_per_school=SMALL)


def _user(email_local: str):
    from caseflow.auth.models import User
    from caseflow.extensions import db

    return db.session.scalar(sa.select(User).where(User.email == f"{email_local}@{STAFF_EMAIL_DOMAIN}"))


def _client(app, email_local: str):
    from types import SimpleNamespace

    client = app.test_client()
    login = SimpleNamespace(email=f"{email_local}@{STAFF_EMAIL_DOMAIN}", password=DEMO_PASSWORD)
    assert sign_in(client, login).status_code == 302
    return client


def test_open_cases_at_every_stage(app, seeded):
    from caseflow.audit.models import AuditEvent
    from caseflow.cases.models import Case, InterventionPlan
    from caseflow.extensions import db

    with app.app_context():
        cases = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
        plans = {}
        for plan in db.session.scalars(sa.select(InterventionPlan)):
            plans.setdefault(plan.case_id, []).append(plan)
        by_status = {}
        for case in cases:
            by_status.setdefault(case.status, []).append(case)
        assert set(by_status) == {"new", "assigned", "active", "monitoring", "closed"}
        assert seeded.open_cases == len(cases) - len(by_status["closed"])
        # Queued: nobody of the role serves the school, and the case says so.
        for case in by_status["new"]:
            assert case.assignee_id is None and "administrators' queue" in case.queue_reason
        # Active with a plan and check-ins; monitoring and closed ones were worked too.
        assert any(p.check_ins for c in by_status["active"] for p in plans.get(c.id, []))
        assert all(plans.get(c.id) for c in by_status["monitoring"])
        closed = by_status["closed"][0]
        assert closed.outcome and closed.close_note and plans[closed.id][0].check_ins
        # Every case was opened and moved through the case services (audited).
        audited = {
            (e.entity_id, e.action)
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "Case"))
        }
        for case in cases:
            assert (str(case.id), "case.opened") in audited
        assert (str(closed.id), "case.close") in audited
        # The incidents behind the cases were logged by teachers and triaged.
        triaged = [c for c in cases if c.source == "triage"]
        assert triaged and all(c.incidents and c.incidents[0].decision_id for c in triaged)


def test_a_police_escalation_waits_for_the_second_administrator(app, seeded):
    from caseflow.contacts.models import GuardianContact
    from caseflow.escalations.models import Escalation
    from caseflow.extensions import db
    from caseflow.notifications.models import Notification

    with app.app_context():
        escalation = db.session.scalar(sa.select(Escalation))
        assert seeded.escalations_waiting == 1
        assert escalation.status == "requested"
        assert escalation.requested_by_id == _user("principal.ms").id
        contact = db.session.scalar(
            sa.select(GuardianContact).where(
                GuardianContact.incident_id == escalation.incident_id,
                GuardianContact.student_id == escalation.student_id,
            )
        )
        assert contact.reached and contact.purpose == "escalation_notice"
        assert escalation.incident.occurred_at < contact.contacted_at < escalation.requested_at
        second = _user("assistant-principal.ms")
        note = db.session.scalar(
            sa.select(Notification).where(
                Notification.user_id == second.id, Notification.link == f"/escalations/{escalation.id}"
            )
        )
        assert note is not None and note.read_at is None
        escalation_id = escalation.id

    page = _client(app, "assistant-principal.ms").get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page
    own = _client(app, "principal.ms").get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="own-request"' in own and 'data-testid="approve"' not in own


def test_threat_assessments_are_under_way(app, seeded):
    from caseflow.extensions import db
    from caseflow.threats.models import ThreatAssessment

    with app.app_context():
        assessments = db.session.scalars(sa.select(ThreatAssessment)).all()
        assert len(assessments) == 2
        for assessment in assessments:
            assert assessment.status != "closed"
            assert assessment.started_at is not None and assessment.started_at <= assessment.must_start_by
            assert {m.capacity for m in assessment.team} >= {"administrator", "mental_health"}
            assert assessment.statements and assessment.statements[0].exact_words


def test_a_restorative_process_in_preparation_and_guardian_contacts(app, seeded):
    from caseflow.contacts.models import GuardianContact
    from caseflow.extensions import db
    from caseflow.restorative.models import RestorativeProcess

    with app.app_context():
        process = db.session.scalar(sa.select(RestorativeProcess))
        assert process.status == "preparing"
        assert {p.role for p in process.parties} == {"harmed", "responsible", "supporter"}
        # One process for the conflict, linked from both students' cases, held by one adviser.
        from caseflow.cases.models import Case

        cases = db.session.scalars(sa.select(Case).where(Case.id.in_(process.case_ids))).all()
        assert len(cases) == 2 and len({c.student_id for c in cases}) == 2
        assert len({c.assignee_id for c in cases}) == 1
        contacts = db.session.scalars(sa.select(GuardianContact)).all()
        assert len(contacts) >= 4
        assert {c.reached for c in contacts} == {True, False}  # an attempt that reached nobody is kept


def test_the_demo_staff_have_unread_notifications(app, seeded):
    from caseflow.extensions import db
    from caseflow.notifications.models import Notification

    with app.app_context():
        unread = db.session.scalars(sa.select(Notification).where(Notification.read_at.is_(None))).all()
        people = {n.user_id for n in unread}
        for local in (
            "counselor.ms",
            "social-worker.ms",
            "threat-team.ms",
            "restorative.hs",
            "admin.district",
        ):
            assert _user(local).id in people, local
    page = _client(app, "counselor.ms").get("/notifications").get_data(as_text=True)
    assert "case for" in page


def test_no_incident_on_a_day_without_school(app, seeded):
    from caseflow.extensions import db
    from caseflow.incidents.models import Incident

    calendar = school_calendar()
    with app.app_context():
        incidents = db.session.scalars(sa.select(Incident)).all()
        assert len(incidents) > seeded.incidents  # the history and the last days' incidents
        for incident in incidents:
            local = incident.occurred_at.astimezone(ZoneInfo(incident.school.time_zone))
            assert calendar.is_school_day(local.date()), (incident.id, local)
            assert time(8) <= local.time() < calendar.day_ends, (incident.id, local)


def test_the_rule_simulation_replays_the_demo_decisions(app, seeded):
    from pathlib import Path

    from caseflow.triage.ruleset import current_rules

    text = Path(current_rules().source).read_text(encoding="utf-8")
    client = _client(app, "principal.ms")
    response = client.post(
        "/triage/simulate",
        data={"rules": text, "since": "", "csrf_token": csrf_token(client, "/triage/simulate")},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    replayed = int(page.split('data-testid="replayed">', 1)[1].split("<", 1)[0])
    assert replayed >= seeded.decisions > 0
