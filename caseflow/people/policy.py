"""Who may see and change a student's record.

A student's record is shown to a user whose role grants `student.read` and who serves the
student's school (or serves the whole district). Every list of students goes through
`visible_students()`, so an index page cannot leak a row that `can_read_student()` refuses.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.permissions import Permission
from caseflow.people.models import Student


def can_read_student(user, student: Student) -> bool:
    return (
        user.is_authenticated
        and user.can(Permission.STUDENT_READ)
        and user.district_id == student.district_id
        and user.serves_school(student.school_id)
    )


def can_manage_student(user, student: Student) -> bool:
    return can_read_student(user, student) and user.can(Permission.STUDENT_MANAGE)


def scope_students(user, stmt: sa.Select) -> sa.Select:
    """Restrict a select over Student to the schools `user` serves."""
    stmt = stmt.where(Student.district_id == user.district_id)
    if not user.district_wide:
        stmt = stmt.where(Student.school_id.in_(user.school_ids or {-1}))
    return stmt


def visible_students(user) -> sa.Select:
    """SELECT of the students whose records `user` may read (empty without the permission)."""
    stmt = sa.select(Student)
    if not user.is_authenticated or not user.can(Permission.STUDENT_READ):
        return stmt.where(sa.false())
    return scope_students(user, stmt)
