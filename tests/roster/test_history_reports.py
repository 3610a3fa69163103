"""Enrolment history in the reports: a student who moves between two schools in the middle
of the year is counted by each school's civil-rights report for the events at that school,
in the group she was in on the day, and by the disparity monitor of the period she was
enrolled; history rows are only ever closed, never deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.discipline.models import DisciplineAction
from caseflow.escalations.models import EmergencyResponse
from caseflow.extensions import db
from caseflow.people.models import School, Student
from caseflow.roster.models import Enrolment, ProgramParticipation

START = datetime(2026, 8, 25, 15, 0, tzinfo=UTC)  # a school day of 2026-27, in the morning in Chicago


def _police(student: Student, school_id: int, at: datetime, recorder: int) -> None:
    db.session.add(
        EmergencyResponse(
            district_id=student.district_id,
            school_id=school_id,
            student_id=student.id,
            called_at=at,
            caller="Front office",
            what_happened="Police called directly.",
            recorded_by_id=recorder,
            justification_due_at=at + timedelta(days=1),
        )
    )


def _suspension(student: Student, school_id: int, day: date) -> None:
    db.session.add(
        DisciplineAction(
            district_id=student.district_id,
            school_id=school_id,
            student_id=student.id,
            action_code="Out of School Suspension",
            action_date=day,
            historical=True,  # past data, as if imported: not through the exclusion gate
        )
    )


def test_a_student_who_moves_mid_year_is_counted_where_and_as_she_was(app, sync, provider, clock, district):
    from caseflow.reports.civil_rights import counts_by_school
    from caseflow.reports.monitor import disparity_monitor

    clock.move_to(START)
    assert sync().outcome == "ok"
    with app.app_context():
        maria = db.session.scalar(sa.select(Student).where(Student.local_id == "S000001"))
        north = db.session.scalar(sa.select(School).where(School.code == "CF-N"))
        assert (maria.school_id, maria.race_ethnicity, maria.english_learner) == (north.id, "WH", False)
        maria_id, north_id = maria.id, north.id

    # October, at North: the police are called, and she is suspended.
    clock.move_to(datetime(2026, 10, 6, 16, 0, tzinfo=UTC))
    with app.app_context(), transaction():
        maria = db.session.get(Student, maria_id)
        _police(maria, north_id, datetime(2026, 10, 6, 16, 0, tzinfo=UTC), district.sysadmin.id)
        _suspension(maria, north_id, date(2026, 10, 6))

    # January: she moves to South (the provider ends one enrolment and begins the other).
    clock.move_to(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    provider.district.move(
        "stu-1", "org-n", "org-s", on="2027-01-11", when=datetime(2027, 1, 11, 7, tzinfo=UTC)
    )
    assert sync().outcome == "ok"
    with app.app_context():
        south_id = db.session.scalar(sa.select(School.id).where(School.code == "CF-S"))
        spans = db.session.execute(
            sa.select(Enrolment.school_id, Enrolment.begin_date, Enrolment.end_date)
            .where(Enrolment.student_id == maria_id)
            .order_by(Enrolment.id)
        ).all()
        assert [tuple(s) for s in spans] == [
            (north_id, date(2026, 8, 20), date(2027, 1, 10)),
            (south_id, date(2027, 1, 11), None),
        ]

    # At South she becomes an English learner, then the police are called and she is suspended.
    clock.move_to(datetime(2027, 1, 20, 16, 0, tzinfo=UTC))
    with app.app_context(), transaction():
        maria = db.session.get(Student, maria_id)
        maria.english_learner = True
    clock.move_to(datetime(2027, 2, 3, 16, 0, tzinfo=UTC))
    with app.app_context(), transaction():
        maria = db.session.get(Student, maria_id)
        _police(maria, south_id, datetime(2027, 2, 3, 16, 0, tzinfo=UTC), district.sysadmin.id)
        _suspension(maria, south_id, date(2027, 2, 3))

    with app.app_context():
        assert db.session.execute(
            sa.select(ProgramParticipation.program, ProgramParticipation.begin_date).where(
                ProgramParticipation.student_id == maria_id
            )
        ).all() == [("english_learner", date(2027, 1, 20))]
        schools = db.session.scalars(sa.select(School).order_by(School.code)).all()
        north_counts, south_counts = counts_by_school(schools, 2026)
        # Civil rights: each school counts her once, for its own referral ...
        assert north_counts.referrals.instances == 1 and south_counts.referrals.instances == 1
        assert north_counts.referrals.cell("WODIS", "WH", "F") == 1
        assert south_counts.referrals.cell("WODIS", "WH", "F") == 1
        # ... as an English learner only at South, where she was one on the day.
        assert north_counts.referrals.english_learners.get(("WODIS", "F"), 0) == 0
        assert south_counts.referrals.english_learners.get(("WODIS", "F"), 0) == 1

        # Disparity monitor 2026-27: enrolled at both schools, suspended at each.
        _, (north_area, south_area) = disparity_monitor(schools, 2026)
        white_north = next(r for r in north_area.outcomes["suspension"] if r.race == "WH")
        white_south = next(r for r in south_area.outcomes["suspension"] if r.race == "WH")
        assert (white_north.n, white_north.events) == (10, 1)  # North's 10 white students, her with them
        assert (white_south.n, white_south.events) == (11, 1)  # South's 10, and her since January
        assert north_area.population == 20 and south_area.population == 21

        # The year before she was enrolled nowhere here; the next one only at South.
        _, (north_next, south_next) = disparity_monitor(schools, 2027)
        assert north_next.population == 19 and south_next.population == 21


def test_a_student_who_left_still_counts_for_the_year_she_was_enrolled(app, sync, provider, clock, district):
    from caseflow.reports.monitor import disparity_monitor

    clock.move_to(START)
    assert sync().outcome == "ok"
    with app.app_context(), transaction():
        leaver = db.session.scalar(sa.select(Student).where(Student.local_id == "S000002"))
        _suspension(leaver, leaver.school_id, date(2026, 9, 15))
    clock.move_to(datetime(2026, 12, 1, 8, tzinfo=UTC))
    provider.district.drop("stu-2")
    assert sync().outcome == "ok"
    with app.app_context():
        leaver = db.session.scalar(sa.select(Student).where(Student.local_id == "S000002"))
        assert leaver.active is False
        schools = db.session.scalars(sa.select(School).order_by(School.code)).all()
        _, (north, _south) = disparity_monitor(schools, 2026)
        black = next(r for r in north.outcomes["suspension"] if r.race == "BL")
        assert (black.n, black.events) == (10, 1)  # her suspension still counts, with her
        _, (north_next, _) = disparity_monitor(schools, 2027)
        assert north_next.population == 19
        # Her enrolment was closed, not deleted.
        assert db.session.execute(
            sa.select(Enrolment.end_date).where(Enrolment.student_id == leaver.id)
        ).scalar_one() == date(2026, 11, 30)
