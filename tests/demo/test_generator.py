"""The demo district generator: deterministic, complete, and safe with guardian restrictions."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.errors import Conflict
from caseflow.schooldays import school_calendar

SMALL = 15  # students per school: keeps the tests fast


def _make_app():
    from caseflow import create_app

    return create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def demo_app():
    from caseflow.extensions import db

    app = _make_app()
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


def _seed(seed: int = 7, n: int = SMALL):
    from caseflow.demo.generator import seed_demo

    with transaction():
        return seed_demo(seed=seed, students_per_school=n)


def _snapshot():
    """Everything a seed decides, in id order."""
    from caseflow.auth.models import User
    from caseflow.extensions import db
    from caseflow.people.models import Guardian, School, Student, StudentGuardian

    students = [
        (
            s.id,
            s.local_id,
            s.first_name,
            s.middle_name,
            s.last_name,
            s.preferred_name,
            s.birth_date,
            s.grade,
            s.race_ethnicity,
            s.sex,
            s.idea_eligible,
            s.section_504,
            s.english_learner,
            s.mtss_tier,
            s.school.code,
        )
        for s in db.session.scalars(sa.select(Student).order_by(Student.id))
    ]
    guardians = [
        (g.id, g.external_id, g.first_name, g.last_name, g.phone, g.email, g.preferred_language)
        for g in db.session.scalars(sa.select(Guardian).order_by(Guardian.id))
    ]
    links = [
        (
            link.student_id,
            link.guardian_id,
            link.relationship_code,
            link.is_primary_contact,
            link.lives_with,
            link.legal_restriction,
        )
        for link in db.session.scalars(sa.select(StudentGuardian).order_by(StudentGuardian.id))
    ]
    staff = [(u.email, u.full_name) for u in db.session.scalars(sa.select(User).order_by(User.id))]
    schools = [
        (s.code, s.name, s.time_zone) for s in db.session.scalars(sa.select(School).order_by(School.id))
    ]
    from caseflow.cases.models import Case
    from caseflow.escalations.models import Escalation
    from caseflow.incidents.models import Incident
    from caseflow.notifications.models import Notification
    from caseflow.triage.models import TriageDecision

    incidents = [
        (
            i.id,
            i.school_id,
            i.occurred_at,
            i.reported_at,
            i.behavior_codes,
            [s.student_id for s in i.students],
        )
        for i in db.session.scalars(sa.select(Incident).order_by(Incident.id))
    ]
    decisions = [
        (d.incident_id, d.student_id, d.tier, d.routes, d.priority)
        for d in db.session.scalars(sa.select(TriageDecision).order_by(TriageDecision.id))
    ]
    cases = [
        (c.id, c.student_id, c.kind, c.status, c.assignee_id, c.opened_at)
        for c in db.session.scalars(sa.select(Case).order_by(Case.id))
    ]
    escalations = [
        (e.student_id, e.incident_id, e.status, e.requested_by_id)
        for e in db.session.scalars(sa.select(Escalation).order_by(Escalation.id))
    ]
    notes = [
        (n.user_id, n.text) for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))
    ]
    return {
        "students": students,
        "guardians": guardians,
        "links": links,
        "staff": staff,
        "schools": schools,
        "incidents": incidents,
        "decisions": decisions,
        "cases": cases,
        "escalations": escalations,
        "notifications": notes,
    }


def _seed_in_fresh_app(seed: int, n: int = SMALL):
    from caseflow.extensions import db

    app = _make_app()
    with app.app_context():
        db.create_all()
        try:
            _seed(seed, n)
            return _snapshot()
        finally:
            db.session.remove()
            db.drop_all()


def test_same_seed_builds_the_same_district():
    first = _seed_in_fresh_app(11)
    second = _seed_in_fresh_app(11)
    assert first["students"] and first["guardians"]
    assert first["incidents"] and first["decisions"] and first["cases"] and first["escalations"]
    assert first == second


def test_a_different_seed_builds_a_different_district():
    first = _seed_in_fresh_app(11)
    other = _seed_in_fresh_app(12)

    def names(snap):
        return [row[2:5] for row in snap["students"]]

    assert names(first) != names(other)
    assert [g[2:4] for g in first["guardians"]] != [g[2:4] for g in other["guardians"]]


def test_counts_are_as_requested(demo_app):
    from caseflow.auth.models import User
    from caseflow.demo.generator import DEMO_PASSWORD
    from caseflow.extensions import db
    from caseflow.people.models import District, Guardian, School, Student

    summary = _seed(n=SMALL)
    assert summary.district == "Riverbend Unified School District (demo)"
    assert (summary.schools, summary.students) == (3, 3 * SMALL)

    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    assert count(District) == 1
    assert count(School) == 3
    assert count(Student) == summary.students
    assert count(Guardian) == summary.guardians
    assert count(User) == summary.staff == len(summary.logins)
    assert 30 <= summary.staff <= 40

    district = db.session.scalar(sa.select(District))
    assert (district.code, district.time_zone) == ("DEMO", "America/Chicago")
    schools = {s.code: s for s in district.schools}
    assert set(schools) == {"DEMO-ES", "DEMO-MS", "DEMO-HS"}
    assert len({s.time_zone for s in schools.values()}) == 2
    ranges = [(schools[c].lowest_grade, schools[c].highest_grade) for c in ("DEMO-ES", "DEMO-MS", "DEMO-HS")]
    assert ranges == [("K", "5"), ("6", "8"), ("9", "12")]
    assert Counter(s.school.code for s in db.session.scalars(sa.select(Student))) == {
        "DEMO-ES": SMALL,
        "DEMO-MS": SMALL,
        "DEMO-HS": SMALL,
    }

    # One shared demo password, hashed once and valid.
    from caseflow.auth.passwords import verify_password

    hashes = set(db.session.scalars(sa.select(User.password_hash)))
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), DEMO_PASSWORD)[0]


def test_students_are_plausible(demo_app):
    from caseflow.extensions import db
    from caseflow.people.codes import RACE_ETHNICITY
    from caseflow.people.models import Student

    _seed(n=SMALL)
    students = db.session.scalars(sa.select(Student).order_by(Student.id)).all()
    assert [s.local_id for s in students] == [f"S{100001 + i}" for i in range(len(students))]
    for s in students:
        low, high = s.school.lowest_grade, s.school.highest_grade
        grades = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
        assert grades.index(low) <= grades.index(s.grade) <= grades.index(high)
        grade_number = 0 if s.grade == "K" else int(s.grade)
        assert s.age_on(date(2026, 9, 1)) in (grade_number + 5, grade_number + 6)
        assert s.race_ethnicity is None or s.race_ethnicity in RACE_ETHNICITY
        assert not (s.idea_eligible and s.section_504)
        assert s.mtss_tier in (1, 2, 3)


def test_every_role_has_a_demo_user(demo_app):
    from caseflow.auth.models import User
    from caseflow.auth.permissions import Role
    from caseflow.extensions import db

    summary = _seed(n=5)
    users = db.session.scalars(sa.select(User)).all()
    roles = {role for user in users for role in user.roles}
    assert roles == set(Role)
    assert {login.role for login in summary.logins} == {r.value for r in Role}
    assert all(u.email.endswith("@demo.caseflow.example") for u in users)

    by_email = {u.email: u for u in users}
    for login in summary.logins:
        user = by_email[login.email]
        assert (login.school is None) == user.district_wide
    shared = by_email["psychologist.district@demo.caseflow.example"]
    assert not shared.district_wide and len(shared.schools) == 2


def test_guardian_contacts_respect_restrictions(demo_app):
    from caseflow.extensions import db
    from caseflow.people.models import Student, StudentGuardian

    # Enough students that some links carry a restriction.
    _seed(seed=3, n=120)
    students = db.session.scalars(sa.select(Student)).all()
    for student in students:
        links = student.guardian_links
        assert 1 <= len(links) <= 2
        primaries = [link for link in links if link.is_primary_contact]
        assert len(primaries) == 1, student.local_id
        assert primaries[0].legal_restriction != "no_contact"

    links = db.session.scalars(sa.select(StudentGuardian)).all()
    restricted = [link for link in links if link.legal_restriction != "none"]
    assert restricted, "expected a few restricted links among 360 students"
    for link in restricted:
        assert link.restriction_note
        assert not link.is_primary_contact or link.legal_restriction == "limited_contact"
    # Siblings: some guardians are linked to more than one student.
    per_guardian = Counter(link.guardian_id for link in links)
    assert max(per_guardian.values()) >= 2


def test_the_seed_is_audited_and_the_chain_verifies(demo_app):
    from caseflow.audit.models import AuditEvent
    from caseflow.audit.services import verify_chain
    from caseflow.extensions import db

    summary = _seed(n=SMALL)
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[-1].action == "demo.seeded"
    assert [e.action for e in events].count("demo.seeded") == 1
    assert events[-1].entity_type == "District"
    assert events[-1].changes["students"] == summary.students
    assert events[-1].changes["triage_decisions"] == summary.decisions > 0
    assert verify_chain().ok


def test_seeding_twice_is_refused(demo_app):
    from caseflow.demo.generator import demo_exists

    assert not demo_exists()
    _seed(n=3)
    assert demo_exists()
    with pytest.raises(Conflict):
        _seed(n=3)


def test_generator_uses_only_codes_the_models_accept():
    from caseflow.demo import generator as g
    from caseflow.people.codes import GRADES, GUARDIAN_RELATIONSHIPS, RACE_ETHNICITY

    assert set(g._RACE_WEIGHTS) <= set(RACE_ETHNICITY)
    relationships = {r for pattern, _ in g._TWO_GUARDIAN_PATTERNS for r in pattern}
    relationships |= {r for r, _ in g._ONE_GUARDIAN_PATTERNS}
    assert relationships <= set(GUARDIAN_RELATIONSHIPS)
    assert all(grade in GRADES for school in g.SCHOOLS for grade in school.grades)


def test_cli_seeds_once_and_prints_the_demo_logins(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--seed", "5", "--students-per-school", "4"])
    assert result.exit_code == 0, result.output
    assert "caseflow-demo-2026" in result.output
    assert "DEMO CREDENTIALS" in result.output
    assert "teacher.es@demo.caseflow.example" in result.output
    assert "12 students" in result.output

    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "Demo district already present." in again.output

    refused = runner.invoke(args=["demo", "seed", "--students-per-school", "4"])
    assert refused.exit_code != 0
    assert "already exists" in refused.output


def test_the_school_year_so_far_is_triaged_history(demo_app):
    from caseflow.cases.models import CaseIncident
    from caseflow.demo.history import history_span
    from caseflow.discipline.models import DisciplineAction
    from caseflow.extensions import db
    from caseflow.incidents.models import Incident
    from caseflow.triage.models import TriageDecision

    summary = _seed(n=50)
    in_cases = sa.select(CaseIncident.incident_id)
    history = db.session.scalars(sa.select(Incident).where(Incident.id.not_in(in_cases))).all()
    assert len(history) == summary.incidents == 3 * 50 * 2 // 5  # 0.4 per student
    assert {i.status for i in history} == {"resolved"}
    first, last = history_span(date.today())
    assert all(first <= i.occurred_at.date() <= last + timedelta(days=1) for i in history)
    assert all(len(i.students) == 1 and i.students[0].role == "responsible" for i in history)
    # Each past incident was triaged by the rules when it was reported.
    decisions = {
        d.incident_id: d
        for d in db.session.scalars(sa.select(TriageDecision).where(TriageDecision.is_current))
    }
    for incident in history:
        decision = decisions[incident.id]
        assert (decision.kind, decision.student_id) == ("rules", incident.students[0].student_id)
        assert decision.decided_at == incident.reported_at
        assert decision.ruleset_version and decision.facts
    actions = db.session.scalars(sa.select(DisciplineAction)).all()
    assert len(actions) == summary.suspensions
    for action in actions:
        assert action.incident.students[0].student_id == action.student_id
        assert action.incident.behaviors[0].behavior_code not in ("disruption", "defiance", "tardy")
        assert school_calendar().is_school_day(action.action_date)


def test_the_history_covers_the_school_year_so_far():
    from caseflow.demo.history import history_span

    assert history_span(date(2026, 11, 24)) == (date(2026, 8, 17), date(2026, 11, 23))
    assert history_span(date(2027, 3, 1)) == (date(2026, 8, 17), date(2027, 2, 28))
    assert history_span(date(2027, 7, 20)) == (date(2026, 8, 17), date(2027, 6, 10))
    assert history_span(date(2026, 8, 17)) == (date(2025, 8, 17), date(2026, 6, 10))  # not started
