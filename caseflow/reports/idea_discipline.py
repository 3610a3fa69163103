"""The five discipline categories of 34 CFR 300.647(b)(4) for students with disabilities
(IDEA), counted per school and race/ethnicity for the disparity monitor.

A student counts in a category when, in the school year, while they were in IDEA on the day
of each removal and at the school where it happened:
  (i)   their out-of-school suspensions and expulsions total 10 school days or fewer;
  (ii)  they total more than 10 school days;
  (iii) their in-school suspensions total 10 school days or fewer;
  (iv)  they total more than 10 school days;
  (v)   they had any disciplinary removal (in-school and out-of-school suspension, expulsion,
        removal to an interim alternative educational setting).
Days are cumulative over the year, as the federal discipline counts (EDFacts FS006) add them.
The risk is students in the category / students with disabilities of the group enrolled at
the school during the year (standards.md section 3.3), so a student is in at most one of (i)
and (ii) and one of (iii) and (iv).

A removal's length: `removal_days()`, the one place that says how many school days of the
year an action removed the student, from the action's own recorded length (Ed-Fi counts it
in school days) and the school calendar (caseflow.schooldays). When actions carry their
counted school days of removal, it reads them instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from caseflow.discipline.models import DisciplineAction
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import Student
from caseflow.reports.population import in_program
from caseflow.schooldays import SchoolCalendar, school_calendar

EXPULSIONS = frozenset(
    {
        "Expulsion",
        "Expulsion with Services",
        "Expulsion under Guns Free School Act",
        "Expulsion under Guns Free School Act with Services",
    }
)
OUT_OF_SCHOOL = EXPULSIONS | {"Out of School Suspension"}
IN_SCHOOL = frozenset({"In School Suspension"})
# Removals to an interim alternative educational setting, when the district records them.
ALTERNATIVE_SETTING = frozenset({"Removal to Alternative Setting", "Interim Alternative Educational Setting"})
REMOVALS = OUT_OF_SCHOOL | IN_SCHOOL | ALTERNATIVE_SETTING
LONG = 10  # school days: "10 days or fewer" / "more than 10 days"

CATEGORIES = {
    "oss_10_or_fewer": N_("Out-of-school suspensions and expulsions, 10 days or fewer in the year"),
    "oss_over_10": N_("Out-of-school suspensions and expulsions, more than 10 days in the year"),
    "iss_10_or_fewer": N_("In-school suspensions, 10 days or fewer in the year"),
    "iss_over_10": N_("In-school suspensions, more than 10 days in the year"),
    "all_removals": N_("Any disciplinary removal"),
}
SHORT_LABELS = {
    "oss_10_or_fewer": N_("Out of school ≤ 10 days"),
    "oss_over_10": N_("Out of school > 10 days"),
    "iss_10_or_fewer": N_("In school ≤ 10 days"),
    "iss_over_10": N_("In school > 10 days"),
    "all_removals": N_("Any removal"),
}
# The categories as an alert names them.
ALERT_LABELS = {
    "oss_10_or_fewer": N_(
        "Students with disabilities: out-of-school suspensions and expulsions, 10 days or fewer in the year"
    ),
    "oss_over_10": N_(
        "Students with disabilities: out-of-school suspensions and expulsions, more than 10 days in the year"
    ),
    "iss_10_or_fewer": N_("Students with disabilities: in-school suspensions, 10 days or fewer in the year"),
    "iss_over_10": N_("Students with disabilities: in-school suspensions, more than 10 days in the year"),
    "all_removals": N_("Students with disabilities: any disciplinary removal"),
}


def removal_days(
    action_code: str,
    action_date: date,
    length_days: Decimal | None,
    actual_length_days: Decimal | None,
    year_end: date,
    calendar: SchoolCalendar | None = None,
) -> Decimal:
    """School days of the school year ending before `year_end` that the action removed the
    student: the days actually served when recorded, else the days decided; an expulsion with
    no length lasts to the end of the year; a suspension with none counts its first day. Never
    more than the school days left in the year from the action's day."""
    calendar = calendar or school_calendar()
    left = calendar.school_days_between(action_date - timedelta(days=1), year_end - timedelta(days=1))
    days = actual_length_days if actual_length_days is not None else length_days
    if days is None:
        days = left if action_code in EXPULSIONS else 1
    return min(Decimal(days), Decimal(left))


def category_counts(enrolled, school_ids: list[int], start: datetime, end: datetime) -> dict[str, Counter]:
    """{category: Counter((school_id, race) -> students)}: one query, the removals of the year
    of students in IDEA on the day of the removal, at a school they were enrolled in."""
    rows = db.session.execute(
        sa.select(
            DisciplineAction.school_id,
            DisciplineAction.student_id,
            Student.race_ethnicity,
            DisciplineAction.action_code,
            DisciplineAction.action_date,
            DisciplineAction.length_days,
            DisciplineAction.actual_length_days,
        )
        .join(Student, Student.id == DisciplineAction.student_id)
        .join(
            enrolled,
            sa.and_(
                enrolled.c.student_id == DisciplineAction.student_id,
                enrolled.c.school_id == DisciplineAction.school_id,
            ),
        )
        .where(
            DisciplineAction.school_id.in_(school_ids),
            DisciplineAction.action_code.in_(REMOVALS),
            DisciplineAction.action_date >= start.date(),
            DisciplineAction.action_date < end.date(),
            in_program("idea", DisciplineAction.student_id, DisciplineAction.action_date),
        )
    ).all()
    calendar = school_calendar()
    outside: dict[tuple, Decimal] = defaultdict(Decimal)
    inside: dict[tuple, Decimal] = defaultdict(Decimal)
    removed: set[tuple] = set()
    for school_id, student_id, race, code, day, length, actual in rows:
        who = (school_id, student_id, race)
        days = removal_days(code, day, length, actual, end.date(), calendar)
        if days <= 0:  # recorded, but not a day of it served
            continue
        removed.add(who)
        if code in OUT_OF_SCHOOL:
            outside[who] += days
        elif code in IN_SCHOOL:
            inside[who] += days
    counts = {category: Counter() for category in CATEGORIES}
    for prefix, totals in (("oss", outside), ("iss", inside)):
        for (school_id, _, race), days in totals.items():
            counts[f"{prefix}_over_10" if days > LONG else f"{prefix}_10_or_fewer"][(school_id, race)] += 1
    for school_id, _, race in removed:
        counts["all_removals"][(school_id, race)] += 1
    return counts
