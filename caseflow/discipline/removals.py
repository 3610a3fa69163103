"""Removal days: for a student and a school year, the school days of every removal from their
placement (in- and out-of-school suspension, expulsion, removal to an alternative setting),
counted on the school calendar (workflows/calendar.yaml) in the school's time zone, and where
a student with an IEP or a 504 plan stands against the 10-day line of 34 CFR 300.530.

Imported historical removals count like the others; they were never checked when they happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.discipline.models import REMOVALS, DisciplineAction
from caseflow.extensions import db
from caseflow.labels import N_, translated
from caseflow.reports.periods import school_year_of, year_label
from caseflow.schooldays import SchoolCalendar, school_calendar

LINE = 10  # school days in a school year (34 CFR 300.530(b), 300.536)
ALERTS = (5, 8)  # the case manager is told when the total reaches these
# Statuses whose days count: provisional ones too, so that two decisions in a row cannot
# both stay under the line while the first waits for its review.
COUNTED = ("in_effect", "provisional", "ended", "withdrawn")


def first_removal_day(day: date, cal: SchoolCalendar) -> date:
    """The first school day on or after `day`."""
    return day if cal.is_school_day(day) else cal.next_school_day(day)


def planned_days(
    start: date, cal: SchoolCalendar, *, length: Decimal | None = None, end: date | None = None
) -> list[date]:
    """The school days a removal from `start` covers: the school days from `start` to `end`
    (both included) when an end is given, else the first ceil(length) school days on or after
    `start`. A break or a holiday inside the removal is not counted."""
    day = first_removal_day(start, cal)
    days: list[date] = []
    if end is not None:
        while day <= end:
            days.append(day)
            day = cal.next_school_day(day)
        return days
    for _ in range(math.ceil(length or 0)):
        days.append(day)
        day = cal.next_school_day(day)
    return days


def counted_length(action: DisciplineAction, cal: SchoolCalendar) -> Decimal:
    """The school days of `action` that count: what was served for a withdrawn or ended one,
    the length decided otherwise (from its dates when it has an end date)."""
    if action.action_code not in REMOVALS:
        return Decimal(0)
    if action.status in ("withdrawn", "ended"):
        return Decimal(action.actual_length_days or 0)
    if action.length_days is not None:
        return Decimal(action.length_days)
    if action.end_date is not None:
        return Decimal(len(planned_days(action.action_date, cal, end=action.end_date)))
    return Decimal(0)


def removal_days(action: DisciplineAction, cal: SchoolCalendar) -> list[date]:
    """The school days `action` keeps the student out (served days only when withdrawn/ended)."""
    if action.action_code not in REMOVALS:
        return []
    if action.status in ("withdrawn", "ended"):
        return planned_days(action.action_date, cal, length=action.actual_length_days or Decimal(0))
    return planned_days(action.action_date, cal, length=action.length_days, end=action.end_date)


def decision_day(at: datetime, tz: str) -> date:
    """The day a decision recorded at `at` was made, at the school (its time zone)."""
    return at.astimezone(ZoneInfo(tz)).date()


def review_due_on(decided: date, cal: SchoolCalendar) -> date:
    """The last day a manifestation determination review may meet: the 10th school day after
    the day of the decision (34 CFR 300.530(e))."""
    day = decided
    for _ in range(LINE):
        day = cal.next_school_day(day)
    return day


# Where a student stands against the 10-day line of 34 CFR 300.530, as the pages word it.
STANDING = {
    "unprotected": N_("%(total)s school days of removal in %(year)s."),
    "past_line": N_("%(total)s school days: past the 10-day line in %(year)s."),
    "before_line": N_("%(total)s of 10 school days in %(year)s; %(left)s left before a change of placement."),
}


@dataclass
class Removal:
    action: DisciplineAction
    days: list[date]
    counted: Decimal
    running_total: Decimal


@dataclass
class RemovalDays:
    """A student's removals in one school year, and where they stand against the line."""

    student_id: int
    school_year: int
    protected: bool  # an IEP (IDEA) or a 504 plan
    removals: list[Removal] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.counted for r in self.removals), Decimal(0))

    @property
    def year_label(self) -> str:
        return year_label(self.school_year)

    @property
    def left_before_line(self) -> Decimal:
        return max(Decimal(LINE) - self.total, Decimal(0))

    @property
    def past_line(self) -> bool:
        return self.total > LINE

    def _standing(self) -> tuple[str, dict]:
        values = {"total": _days(self.total), "year": self.year_label}
        if not self.protected:
            return STANDING["unprotected"], values
        if self.past_line:
            return STANDING["past_line"], values
        return STANDING["before_line"], {**values, "left": _days(self.left_before_line)}

    @property
    def standing(self) -> str:
        """Where a protected student stands, in English (the API, the CLI)."""
        words, values = self._standing()
        return str(words) % values

    @property
    def standing_words(self) -> str:
        """Where a protected student stands, in the words of the page's reader."""
        words, values = self._standing()
        return translated(words) % values

    def as_dict(self) -> dict:
        return {
            "student_id": self.student_id,
            "school_year": self.year_label,
            "protected": self.protected,
            "line": LINE,
            "total_days": self.total,
            "left_before_line": self.left_before_line if self.protected else None,
            "past_line": self.past_line,
            "standing": self.standing,
            "removals": [
                {
                    "action_id": r.action.id,
                    "incident_id": r.action.incident_id,
                    "action_code": r.action.action_code,
                    "label": r.action.label,
                    "status": r.action.status,
                    "change_of_placement": r.action.change_of_placement,
                    "imported": r.action.recorded_by_id is None,
                    "first_day": r.days[0] if r.days else None,
                    "last_day": r.days[-1] if r.days else None,
                    "days": r.counted,
                    "running_total": r.running_total,
                }
                for r in self.removals
            ],
        }


def _days(n: Decimal) -> str:
    return f"{n.normalize():f}"


def year_actions(student_ids, school_year: int) -> list[DisciplineAction]:
    """The removal actions of `student_ids` decided in `school_year`, oldest first (one query)."""
    first, after = date(school_year, 8, 1), date(school_year + 1, 8, 1)
    return db.session.scalars(
        sa.select(DisciplineAction)
        .where(
            DisciplineAction.student_id.in_(list(student_ids)),
            DisciplineAction.action_code.in_(sorted(REMOVALS)),
            DisciplineAction.status.in_(COUNTED),
            # An exclusion waiting for (or denied) a second administrator is not served.
            DisciplineAction.in_effect(),
            DisciplineAction.action_date >= first,
            DisciplineAction.action_date < after,
        )
        .order_by(DisciplineAction.action_date, DisciplineAction.id)
    ).all()


def tally(student_id: int, protected: bool, school_year: int, actions, cal: SchoolCalendar) -> RemovalDays:
    """Add up `actions` (one student's, oldest first) into a RemovalDays."""
    result = RemovalDays(student_id, school_year, protected)
    running = Decimal(0)
    for action in actions:
        counted = counted_length(action, cal)
        running += counted
        result.removals.append(Removal(action, removal_days(action, cal), counted, running))
    return result


def removal_days_for(student, school_year: int | None = None, *, on: date | None = None) -> RemovalDays:
    """The removal days of `student` in `school_year` (the one containing `on` by default)."""
    year = school_year if school_year is not None else school_year_of(on or now_utc().date())
    protected = bool(student.idea_eligible or student.section_504)
    return tally(student.id, protected, year, year_actions([student.id], year), school_calendar())


def removal_days_of_students(students, school_year: int) -> dict[int, RemovalDays]:
    """RemovalDays for several students at once (one query), by student id."""
    students = list(students)
    by_student: dict[int, list[DisciplineAction]] = {s.id: [] for s in students}
    for action in year_actions(by_student, school_year):
        by_student[action.student_id].append(action)
    cal = school_calendar()
    return {
        s.id: tally(s.id, bool(s.idea_eligible or s.section_504), school_year, by_student[s.id], cal)
        for s in students
    }
