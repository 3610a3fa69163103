"""Who may see and work cases.

A case is visible to people whose role grants `case.read` and who serve the student's school
(a school resource officer or a teacher sees no case at all). Its owner, or an administrator
(`case.assign`), moves it along; administrators also assign and reassign.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.permissions import Permission
from caseflow.cases.models import Case
from caseflow.people.policy import in_served_schools


def can_read_case(user, case: Case) -> bool:
    return (
        user.is_authenticated
        and user.can(Permission.CASE_READ)
        and user.district_id == case.district_id
        and user.serves_school(case.school_id)
    )


def can_assign_case(user, case: Case) -> bool:
    return can_read_case(user, case) and user.can(Permission.CASE_ASSIGN)


def visible_cases(user) -> sa.Select:
    stmt = sa.select(Case)
    if not user.is_authenticated or not user.can(Permission.CASE_READ):
        return stmt.where(sa.false())
    return stmt.where(in_served_schools(user, Case))
