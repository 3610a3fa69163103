"""The IDEA/504 discipline protections (34 CFR 300.530-300.536) when a removal is decided.

For a student with an IEP or a 504 plan, a removal is a change of placement when it would take
the student past 10 school days of removal in the school year, when it is longer than 10
consecutive school days (an expulsion of no stated length is), or when the administrator answers
that the series forms a pattern (substantially similar behavior, and the length of each
removal, the total time and their proximity point to one). A change of placement is stored as
provisional and cannot take effect until a manifestation determination review is scheduled
within 10 school days of the decision (reviews.py); the database refuses an effective change
of placement without its review.

The student's row is locked (SELECT ... FOR UPDATE on PostgreSQL) while the days are counted, so
two administrators recording removals at once are counted one after the other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.discipline.models import REMOVALS, DisciplineAction
from caseflow.discipline.removals import (
    LINE,
    decision_day,
    planned_days,
    removal_days_for,
    review_due_on,
)
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import School, Student
from caseflow.reports.periods import school_year_of
from caseflow.schooldays import school_calendar

PATTERN_QUESTIONS = {
    "similar_behavior": N_("Is the behavior substantially similar to the behavior in the earlier removals?"),
    "length_total_proximity": N_(
        "Do the length of each removal, the total time removed and how close together the removals "
        "are point to a pattern?"
    ),
}


def is_protected(student: Student) -> bool:
    """A student with an IEP (IDEA) or a Section 504 plan."""
    return bool(student.idea_eligible or student.section_504)


def lock_student(student_id: int) -> Student:
    """Lock the student's row until the transaction ends (a no-op on SQLite, which writes one
    transaction at a time anyway): removals for one student are counted one decision at a time."""
    return db.session.scalars(
        sa.select(Student)
        .where(Student.id == student_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def forms_pattern(answers: dict | None) -> bool:
    """34 CFR 300.536(a)(2): substantially similar behavior and the other factors both say so."""
    return bool(answers) and all(answers.get(key) is True for key in PATTERN_QUESTIONS)


def _check_pattern_answers(answers) -> dict[str, list[str]]:
    if not isinstance(answers, dict):
        return {"pattern_answers": ["Answer the pattern questions for this student's earlier removals."]}
    missing = [key for key in PATTERN_QUESTIONS if not isinstance(answers.get(key), bool)]
    if missing:
        return {"pattern_answers": [f"Answer yes or no: {PATTERN_QUESTIONS[key]}" for key in missing]}
    return {}


def assess_removal(action: DisciplineAction, *, pattern_answers: dict | None, now: datetime) -> None:
    """Decide, before `action` (a new, unsaved action) is stored, whether it is a change of
    placement; if it is, mark it provisional with the last day its review may meet.

    Only removals of a student with an IEP or a 504 plan are assessed. Raises ValidationFailed
    when the length is missing for a suspension, or the pattern questions are unanswered while
    the student already has removals this school year."""
    if action.action_code not in REMOVALS:
        return
    student = lock_student(action.student_id)
    if not is_protected(student):
        return
    cal = school_calendar()
    if action.end_date is not None:
        action.length_days = Decimal(len(planned_days(action.action_date, cal, end=action.end_date)))
    length = action.length_days
    if length is None and not action.action_code.startswith("Expulsion"):
        raise ValidationFailed(
            "Some fields are not valid.",
            fields={
                "length_days": [
                    "Give the number of school days (or the last day) for a student with an IEP or 504 plan."
                ]
            },
        )
    prior = removal_days_for(student, school_year_of(action.action_date)).total
    reason = None
    if length is None or length > LINE:
        reason = "consecutive"
    elif prior + length > LINE:
        reason = "cumulative"
    elif prior > 0:
        errors = _check_pattern_answers(pattern_answers)
        if errors:
            raise ValidationFailed(gettext("Some fields are not valid."), fields=errors)
        if forms_pattern(pattern_answers):
            reason = "pattern"
    if pattern_answers:
        action.pattern_answers = {key: pattern_answers.get(key) for key in (*PATTERN_QUESTIONS, "note")}
    if reason is None:
        return
    school = db.session.get(School, action.school_id)
    action.change_of_placement = True
    action.placement_reason = reason
    action.status = "provisional"
    action.review_due_on = review_due_on(decision_day(now, school.time_zone), cal)


PLACEMENT_WORDS = {
    "cumulative": N_("it takes the student past 10 school days of removal this school year"),
    "consecutive": N_("it is a removal of more than 10 consecutive school days"),
    "pattern": N_("the removals form a pattern"),
    "special_circumstances": N_(
        "an interim alternative setting for a weapon, drugs or serious bodily injury"
    ),
}


def placement_words(action: DisciplineAction) -> str | None:
    """Why `action` is a change of placement, in words (None when it is not)."""
    return PLACEMENT_WORDS.get(action.placement_reason or "")
