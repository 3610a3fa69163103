"""Who the reports count, and in which group, as of when things happened: read from the
enrolment and program history (caseflow.roster.models), never from today's roster alone.

* `enrolled_during(start, end)`: the (school, student) pairs of every enrolment that overlaps
  the period; a student who moved counts at each school they attended in it, and one who has
  left since still counts for the period they were there.
* `in_program(program, student_id, start, end)`: the same question in SQL, for reports that
  group in the database (the disparity monitor).
* `program_history(student_ids)`: each student's IDEA, Section 504 and English-learner
  participation, so that a report puts a student in the group they were in on the day of the
  event (`ProgramHistory.on(student_id, day)`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.roster.models import Enrolment, ProgramParticipation

CHUNK = 500


def in_year(span, start_day: date, end_day: date) -> tuple:
    """SQL: an enrolment's or a participation's span (`span.begin_date`, `span.end_date`, either
    open) has at least one day in [start_day, end_day)."""
    return (
        sa.or_(span.begin_date.is_(None), span.begin_date < end_day),
        sa.or_(span.end_date.is_(None), span.end_date >= start_day),
    )


def enrolled_during(start_day: date, end_day: date) -> sa.Select:
    """SELECT DISTINCT (school_id, student_id) enrolled on at least one day of [start_day, end_day)."""
    return (
        sa.select(Enrolment.school_id.label("school_id"), Enrolment.student_id.label("student_id"))
        .where(*in_year(Enrolment, start_day, end_day))
        .distinct()
    )


def in_program(program: str, student_id, start_day, end_day=None):
    """SQL: the student took part in `program` on at least one day of [start_day, end_day),
    or, without `end_day`, on the day `start_day` (a date or a column)."""
    P = ProgramParticipation
    began = P.begin_date <= start_day if end_day is None else P.begin_date < end_day
    return sa.exists().where(
        P.student_id == student_id,
        P.program == program,
        sa.or_(P.begin_date.is_(None), began),
        sa.or_(P.end_date.is_(None), P.end_date >= start_day),
    )


@dataclass(frozen=True)
class Groups:
    """A student's program groups on one day."""

    idea: bool
    section_504: bool
    english_learner: bool


class ProgramHistory:
    """The participations of a set of students, asked by day."""

    def __init__(self, spans: dict[tuple[int, str], list[tuple[date | None, date | None]]]):
        self.spans = spans

    def _in(self, student_id: int, program: str, day: date) -> bool:
        return any(
            (begin is None or begin <= day) and (end is None or end >= day)
            for begin, end in self.spans.get((student_id, program), ())
        )

    def on(self, student_id: int, day: date) -> Groups:
        return Groups(
            self._in(student_id, "idea", day),
            self._in(student_id, "section_504", day),
            self._in(student_id, "english_learner", day),
        )


def program_history(student_ids) -> ProgramHistory:
    """One query per 500 students, whatever their number of participations."""
    ids = sorted(set(student_ids))
    spans: dict[tuple[int, str], list] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            sa.select(
                ProgramParticipation.student_id,
                ProgramParticipation.program,
                ProgramParticipation.begin_date,
                ProgramParticipation.end_date,
            ).where(ProgramParticipation.student_id.in_(ids[start : start + CHUNK]))
        )
        for student_id, program, begin, end in rows:
            spans[(student_id, program)].append((begin, end))
    return ProgramHistory(dict(spans))
