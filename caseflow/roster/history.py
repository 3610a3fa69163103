"""Enrolment and program history, kept whatever changes a student.

A `before_flush` listener watches every student that is created or whose school, active
flag or IDEA / Section 504 / English-learner flag changes, whoever changes it (a sync, an
import, the students page), and writes the history in the same flush:

* a new student opens an enrolment at their school, and a participation for each program
  they are in, with no begin date (enrolled since before Caseflow's records) unless the
  caller gave the source's dates;
* a move closes the enrolment at the old school the day before the change and opens one at
  the new school on that day; a student closed (inactive) has their enrolment closed;
  reopened, a new one opens;
* a program flag turned on opens a participation; turned off, closes it.

Rows are only ever added or given an end date, never deleted. A student changed before
history was kept has no row: the first change writes the closed row of what was true until
then (no begin date). The day of a change is `session.info["history_day"]` (a sync sets its
own day) or today's date in UTC.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.db import now_utc
from caseflow.people.models import Student
from caseflow.roster.models import PROGRAM_FLAGS, Enrolment, ProgramParticipation

HISTORY_DAY = "history_day"
# {Student: {"enrolment": (begin, end), "idea": (begin, end), ...}}: the source's own dates.
SOURCE_DATES = "history_source_dates"
NEW_STUDENTS = "history_new_students"


def source_dates(session: Session, student: Student, key: str, begin: date | None, end: date | None) -> None:
    """Give the source's dates for the history row the next flush writes for `student`
    (`key` is "enrolment" or a program)."""
    session.info.setdefault(SOURCE_DATES, {}).setdefault(student, {})[key] = (begin, end)


def _day(session: Session) -> date:
    return session.info.get(HISTORY_DAY) or now_utc().date()


def _before(history, current):
    """The value before the pending change (the current one when nothing changed)."""
    if history.deleted:
        return history.deleted[0]
    return current


def _end(begin: date | None, day: date) -> date:
    end = day - timedelta(days=1)
    return begin if begin is not None and begin > end else end


def _open_rows(session: Session, model, student_id: int, **where):
    with session.no_autoflush:
        return session.scalars(
            sa.select(model).where(
                model.student_id == student_id,
                model.end_date.is_(None),
                *[getattr(model, k) == v for k, v in where.items()],
            )
        ).all()


def _close(session: Session, model, student: Student, day: date, legacy: dict, **where) -> None:
    rows = _open_rows(session, model, student.id, **where)
    if not rows:  # changed before history was kept: what was true until now
        session.add(model(student_id=student.id, begin_date=None, end_date=day - timedelta(days=1), **legacy))
    for row in rows:
        row.end_date = _end(row.begin_date, day)


def _new_rows(student: Student, day: date, dates: dict) -> tuple[list[dict], list[dict]]:
    """The opening history rows of a student just inserted (written with one INSERT per table
    for the whole flush: a first sync of a district creates a hundred thousand)."""
    enrolments, programs = [], []
    if student.active is not False:
        begin, end = dates.get("enrolment", (None, None))
        enrolments.append(
            {"student_id": student.id, "school_id": student.school_id, "begin_date": begin, "end_date": end}
        )
    for program, flag in PROGRAM_FLAGS.items():
        if getattr(student, flag):
            begin, end = dates.get(program, (None, None))
            programs.append(
                {"student_id": student.id, "program": program, "begin_date": begin, "end_date": end}
            )
    return enrolments, programs


def _changed_student(session: Session, student: Student, day: date, dates: dict) -> None:
    state = sa.inspect(student)
    school_h, active_h = state.attrs.school_id.history, state.attrs.active.history
    old_school, new_school = _before(school_h, student.school_id), student.school_id
    old_active, new_active = _before(active_h, student.active), student.active
    moved = old_school != new_school
    if old_active and (moved or not new_active):
        _, source_end = dates.get("enrolment", (None, None))
        rows = _open_rows(session, Enrolment, student.id, school_id=old_school)
        if not rows:  # enrolled before history was kept
            end = day - timedelta(days=1)
            session.add(Enrolment(student_id=student.id, school_id=old_school, begin_date=None, end_date=end))
        for row in rows:
            fits = source_end and not moved and (row.begin_date is None or source_end >= row.begin_date)
            row.end_date = source_end if fits else _end(row.begin_date, day)
    if new_active and (moved or not old_active):
        begin, _ = dates.get("enrolment", (None, None))
        session.add(Enrolment(student_id=student.id, school_id=new_school, begin_date=begin or day))
    for program, flag in PROGRAM_FLAGS.items():
        history = getattr(state.attrs, flag).history
        before, after = bool(_before(history, getattr(student, flag))), bool(getattr(student, flag))
        if before == after:
            continue
        begin, end = dates.get(program, (None, None))
        if after:
            session.add(ProgramParticipation(student_id=student.id, program=program, begin_date=begin or day))
        else:
            _close(session, ProgramParticipation, student, day, {"program": program}, program=program)


def _keep_history(session: Session, _context, _instances) -> None:
    day = _day(session)
    all_dates = session.info.pop(SOURCE_DATES, {})
    created = [(obj, all_dates.get(obj, {})) for obj in session.new if isinstance(obj, Student)]
    if created:
        session.info.setdefault(NEW_STUDENTS, []).extend(created)
    for obj in list(session.dirty):
        if isinstance(obj, Student) and obj.id is not None and session.is_modified(obj):
            _changed_student(session, obj, day, all_dates.get(obj, {}))


def _open_history(session: Session, _context) -> None:
    """After the flush gave the new students their ids: their opening rows, in bulk."""
    created = session.info.pop(NEW_STUDENTS, None)
    if not created:
        return
    day = _day(session)
    enrolments, programs = [], []
    for student, dates in created:
        more_enrolments, more_programs = _new_rows(student, day, dates)
        enrolments += more_enrolments
        programs += more_programs
    connection = session.connection()
    if enrolments:
        connection.execute(sa.insert(Enrolment), enrolments)
    if programs:
        connection.execute(sa.insert(ProgramParticipation), programs)


def _forget(session: Session, _previous_transaction=None) -> None:
    """A rollback drops what a failed flush had gathered."""
    session.info.pop(NEW_STUDENTS, None)
    session.info.pop(SOURCE_DATES, None)


def install() -> None:
    """Register the listeners on every session (once)."""
    if not sa.event.contains(Session, "before_flush", _keep_history):
        sa.event.listen(Session, "before_flush", _keep_history)
        sa.event.listen(Session, "after_flush", _open_history)
        sa.event.listen(Session, "after_soft_rollback", _forget)
