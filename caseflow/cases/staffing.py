"""The administrator's school view: each person's caseload, and students per counselor,
psychologist and social worker against the recommended ratios (ASCA 250, NASP 500,
SSWAA 250; see ../shared/reference/standards.md section 6). Not hard limits: flags."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import Role
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.people.models import School, Student

RECOMMENDED = {Role.COUNSELOR: 250, Role.PSYCHOLOGIST: 500, Role.SOCIAL_WORKER: 250}
CASE_ROLES = (
    Role.COUNSELOR,
    Role.SOCIAL_WORKER,
    Role.PSYCHOLOGIST,
    Role.RESTORATIVE_ADVISER,
    Role.THREAT_TEAM,
)


@dataclass(frozen=True)
class RoleRatio:
    role: Role
    staff: int
    students: int
    recommended: int

    @property
    def per_person(self) -> float | None:
        return self.students / self.staff if self.staff else None

    @property
    def exceeded(self) -> bool:
        return self.staff == 0 or self.students / self.staff > self.recommended


@dataclass(frozen=True)
class Caseload:
    user: User
    roles: list[str]
    open_cases: int
    weighted: int
    overdue: int


def school_view(school: School, now) -> tuple[list[RoleRatio], list[Caseload]]:
    """Ratios and caseloads for one school, in a fixed number of queries."""
    students = db.session.scalar(
        sa.select(sa.func.count(Student.id)).where(Student.school_id == school.id, Student.active)
    )
    serves = User.serving(school.id)
    staff = db.session.scalars(
        sa.select(User)
        .where(User.active, User.district_id == school.district_id, serves)
        .where(
            sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_([r.value for r in CASE_ROLES]))
        )
        .order_by(User.full_name)
    ).all()
    weight = sa.case({1: 1, 2: 2, 3: 3}, value=Case.tier, else_=1)
    overdue = sa.case((sa.and_(Case.due_at < now, Case.status.in_(["new", "assigned"])), 1), else_=0)
    loads = {
        uid: (n, w, o)
        for uid, n, w, o in db.session.execute(
            sa.select(Case.assignee_id, sa.func.count(Case.id), sa.func.sum(weight), sa.func.sum(overdue))
            .where(
                Case.school_id == school.id,
                Case.status != "closed",
                Case.assignee_id.in_([u.id for u in staff]),
            )
            .group_by(Case.assignee_id)
        )
    }
    ratios = [
        RoleRatio(role, sum(1 for u in staff if role in u.roles), students, recommended)
        for role, recommended in RECOMMENDED.items()
    ]
    caseloads = [
        Caseload(
            u,
            sorted(r.value for r in u.roles if r in CASE_ROLES),
            *(int(x or 0) for x in loads.get(u.id, (0, 0, 0))),
        )
        for u in staff
    ]
    return ratios, caseloads
