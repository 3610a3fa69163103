"""Who may see and change a student's record.

A student's record is shown to a user whose role grants `student.read` and who serves the
student's school (or serves the whole district). Every list of students goes through
`visible_students()`, so an index page cannot leak a row that `can_read_student()` refuses.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.permissions import Permission
from caseflow.extensions import db
from caseflow.people.models import School, Student


def schools_served(user) -> list[School]:
    """The schools of the user's district that they serve, by name."""
    schools = db.session.scalars(
        sa.select(School).where(School.district_id == user.district_id).order_by(School.name)
    ).all()
    return [s for s in schools if user.serves_school(s.id)]


def can_read_student(user, student: Student) -> bool:
    return (
        user.is_authenticated
        and user.can(Permission.STUDENT_READ)
        and user.district_id == student.district_id
        and user.serves_school(student.school_id)
    )


def can_manage_student(user, student: Student) -> bool:
    return can_read_student(user, student) and user.can(Permission.STUDENT_MANAGE)


def in_served_schools(user, model):
    """SQL condition: a row of `model` (with district_id and school_id) is in a school `user` serves.
    The one scope rule that every list of students, incidents and cases goes through."""
    condition = model.district_id == user.district_id
    if not user.district_wide:
        condition = sa.and_(condition, model.school_id.in_(user.school_ids or {-1}))
    return condition


def scope_students(user, stmt: sa.Select) -> sa.Select:
    """Restrict a select over Student to the schools `user` serves."""
    return stmt.where(in_served_schools(user, Student))


def visible_students(user) -> sa.Select:
    """SELECT of the students whose records `user` may read (empty without the permission)."""
    stmt = sa.select(Student)
    if not user.is_authenticated or not user.can(Permission.STUDENT_READ):
        return stmt.where(sa.false())
    return scope_students(user, stmt)
