"""Removal days counted on constructed calendars, checked against counts made by hand."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.removals import (
    counted_length,
    decision_day,
    planned_days,
    review_due_on,
    tally,
)
from caseflow.schooldays import SchoolCalendar

# November-December 2026: Thanksgiving Wed 25 - Fri 27, a teacher day Mon 7 Dec, winter break
# Mon 21 Dec - Fri 1 Jan.
HOLIDAYS = {date(2026, 11, d) for d in (25, 26, 27)} | {date(2026, 12, 7)}
HOLIDAYS |= {date(2026, 12, 21 + i) for i in range(11)} | {date(2027, 1, 1)}
CAL = SchoolCalendar(frozenset(HOLIDAYS), time(16, 0))


def test_a_suspension_skips_weekends_and_holidays():
    # Five days from Mon 23 Nov: 23, 24, (Thanksgiving), 30, 1, 2 -- counted by hand.
    assert planned_days(date(2026, 11, 23), CAL, length=Decimal(5)) == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 2),
    ]


def test_a_removal_across_the_winter_break_counts_only_school_days():
    # Thu 17 Dec to Tue 5 Jan: 17, 18, 4, 5 (the break and the weekend do not count).
    days = planned_days(date(2026, 12, 17), CAL, end=date(2027, 1, 5))
    assert days == [date(2026, 12, 17), date(2026, 12, 18), date(2027, 1, 4), date(2027, 1, 5)]
    action = DisciplineAction(
        action_code="Out of School Suspension",
        action_date=date(2026, 12, 17),
        end_date=date(2027, 1, 5),
        status="in_effect",
    )
    assert counted_length(action, CAL) == 4


def test_a_removal_decided_on_a_weekend_starts_the_next_school_day():
    # Saturday 5 Dec; Monday 7 Dec is a teacher day: Tue 8, Wed 9.
    assert planned_days(date(2026, 12, 5), CAL, length=Decimal(2)) == [date(2026, 12, 8), date(2026, 12, 9)]


def test_half_a_day_is_one_calendar_day_counted_as_a_half():
    action = DisciplineAction(
        action_code="In School Suspension", action_date=date(2026, 11, 18), length_days=Decimal("0.5")
    )
    action.status = "in_effect"
    assert counted_length(action, CAL) == Decimal("0.5")
    assert planned_days(action.action_date, CAL, length=action.length_days) == [date(2026, 11, 18)]


def test_the_review_is_due_ten_school_days_after_the_decision():
    # Decided Tue 17 Nov: 18, 19, 20, 23, 24, 30, 1, 2, 3, 4 -> Fri 4 Dec.
    assert review_due_on(date(2026, 11, 17), CAL) == date(2026, 12, 4)
    # Decided Fri 4 Dec: 8 (7 is off), 9, 10, 11, 14, 15, 16, 17, 18, 4 Jan -> Mon 4 Jan.
    assert review_due_on(date(2026, 12, 4), CAL) == date(2027, 1, 4)


def test_two_schools_in_different_time_zones_decide_on_different_days():
    # 06:00 UTC on Fri 20 Nov is 01:00 Friday in New York and 20:00 Thursday in Honolulu.
    at = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    new_york, honolulu = decision_day(at, "America/New_York"), decision_day(at, "Pacific/Honolulu")
    assert (new_york, honolulu) == (date(2026, 11, 20), date(2026, 11, 19))
    # By hand: from Fri 20 -> 23, 24, 30, 1, 2, 3, 4, 8, 9, 10 (7 Dec is off) = Thu 10 Dec;
    # from Thu 19 -> 20, 23, 24, 30, 1, 2, 3, 4, 8, 9 = Wed 9 Dec.
    assert review_due_on(new_york, CAL) == date(2026, 12, 10)
    assert review_due_on(honolulu, CAL) == date(2026, 12, 9)


def test_withdrawn_and_ended_removals_count_what_was_served():
    def action(status, length, served=None):
        a = DisciplineAction(
            action_code="Out of School Suspension",
            action_date=date(2026, 11, 18),
            length_days=Decimal(length),
            actual_length_days=served,
        )
        a.status = status
        return a

    actions = [
        action("in_effect", 3),
        action("withdrawn", 5),
        action("ended", 5, Decimal(2)),
        DisciplineAction(
            action_code="Removal from Classroom", action_date=date(2026, 11, 18), status="in_effect"
        ),
    ]
    summary = tally(1, True, 2026, actions, CAL)
    assert summary.total == 5
    assert [r.running_total for r in summary.removals] == [3, 3, 5, 5]
    assert summary.left_before_line == 5 and not summary.past_line
    assert summary.standing == "5 of 10 school days in 2026-27; 5 left before a change of placement."


def test_caseflow_s_own_removal_kinds_leave_in_ed_fi_as_other():
    from caseflow.exports.edfi import edfi_discipline

    assert edfi_discipline("Interim Alternative Educational Setting") == "Other"
    assert edfi_discipline("Removal to Alternative Setting") == "Other"
    assert edfi_discipline("Out of School Suspension") == "Out of School Suspension"


def test_an_exclusion_waiting_for_a_second_administrator_counts_no_day(app, iep):
    """The exclusion gate's pending approval: not served, so not counted toward the line."""
    from caseflow.auth.models import User
    from caseflow.db import transaction
    from caseflow.discipline.removals import removal_days_for
    from caseflow.discipline.services import record_action
    from caseflow.extensions import db
    from caseflow.incidents.models import Incident
    from caseflow.people.models import Student
    from tests.discipline.conftest import ANSWERS
    from tests.helpers import FROZEN_NOW

    with app.app_context(), transaction():
        action, _ = record_action(
            actor=db.session.get(User, iep.admin.id),
            incident=db.session.get(Incident, iep.incident),
            student_id=iep.student,
            action_code="Expulsion",
            action_date=date(2026, 11, 18),
            length_days=Decimal(5),
            answers=ANSWERS,
            now=FROZEN_NOW,
        )
        action.approval = "pending"  # as the district's default rules would leave an expulsion
        db.session.flush()
        assert removal_days_for(db.session.get(Student, iep.student), 2026).total == 0
        action.approval = None
        db.session.flush()
        assert removal_days_for(db.session.get(Student, iep.student), 2026).total == 5
