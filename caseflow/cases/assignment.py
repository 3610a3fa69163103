"""Choosing who works a case.

In order:
0. One conflict, one adviser: when an incident opens restorative cases for several students,
   the others follow the first one's owner when that person can serve them.
1. Continuity: the person who last worked a case of the same kind for this student, if they
   still hold the role and serve the school.
2. Otherwise the eligible person with the lowest weighted caseload (Tier 3 cases weigh 3,
   Tier 2 weigh 2, Tier 1 weigh 1), preferring among them someone who speaks the primary
   guardian's language when one is recorded; ties go to the lower user id, so the choice is
   repeatable.
3. Nobody of the role serves the school: no assignee; the case waits in the administrators'
   queue with the reason.

District-wide staff (a district office's administrators, a shared specialist marked district-
wide) are not in any school's rotation: they take a school's case only when an administrator
assigns it to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import Role
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import Guardian, School, Student, StudentGuardian

ROLE_FOR_KIND = {
    "counselor": Role.COUNSELOR,
    "social_worker": Role.SOCIAL_WORKER,
    "psychologist": Role.PSYCHOLOGIST,
    "restorative_adviser": Role.RESTORATIVE_ADVISER,
    "threat_team": Role.THREAT_TEAM,
    "administrator": Role.ADMINISTRATOR,
}
KIND_LABELS = {
    "counselor": N_("counselor"),
    "social_worker": N_("social worker"),
    "psychologist": N_("school psychologist"),
    "restorative_adviser": N_("restorative-justice adviser"),
    "threat_team": N_("threat-assessment team member"),
    "administrator": N_("administrator"),
}
TIER_WEIGHT = {1: 1, 2: 2, 3: 3}


@dataclass(frozen=True)
class Assignment:
    assignee: User | None
    reason: str  # why this person, or why nobody (shown on the case and audited)


def eligible_workers(kind: str, school: School, *, with_scope: bool = True) -> list[User]:
    """Active users with the kind's role who serve the school (or the whole district).
    `with_scope=False`: their roles and schools are not loaded with them (read on access)."""
    role = ROLE_FOR_KIND[kind]
    serves = User.serving(school.id)
    stmt = (
        sa.select(User)
        .where(User.active, User.district_id == school.district_id, serves)
        .where(sa.exists().where(UserRole.user_id == User.id, UserRole.role == role.value))
        .order_by(User.id)
    )
    if not with_scope:
        stmt = stmt.options(lazyload(User.role_rows), lazyload(User.schools))
    return list(db.session.scalars(stmt))


def weighted_caseloads(user_ids: list[int]) -> dict[int, int]:
    """Open cases per person, Tier 3 weighing 3, Tier 2 weighing 2, Tier 1 weighing 1."""
    weight = sa.case({1: 1, 2: 2, 3: 3}, value=Case.tier, else_=1)
    rows = db.session.execute(
        sa.select(Case.assignee_id, sa.func.sum(weight))
        .where(Case.assignee_id.in_(user_ids), Case.status != "closed")
        .group_by(Case.assignee_id)
    ).all()
    loads = {uid: 0 for uid in user_ids}
    loads.update({uid: int(total) for uid, total in rows})
    return loads


def guardian_language(student: Student) -> str | None:
    """The preferred language of the student's primary contact, if recorded."""
    return db.session.scalar(
        sa.select(Guardian.preferred_language)
        .join(StudentGuardian, StudentGuardian.guardian_id == Guardian.id)
        .where(StudentGuardian.student_id == student.id, StudentGuardian.is_primary_contact)
        .limit(1)
    )


def choose_assignee(kind: str, student: Student, school: School, *, follow: User | None = None) -> Assignment:
    """Who should work a new case of `kind` for `student` (see the module's docstring).

    `follow`: the person already holding another student's case of the same conflict (one
    incident's restorative cases): chosen first when they can serve this case (the role, the
    school, in the school's rotation), so that one adviser holds the conflict."""
    # Choosing reads neither their roles nor their schools.
    workers = [w for w in eligible_workers(kind, school, with_scope=False) if not w.district_wide]
    label = KIND_LABELS[kind]
    if not workers:
        return Assignment(
            None, f"No {label} serves {school.name}; the case waits in the administrators' queue."
        )
    by_id = {w.id: w for w in workers}
    if follow is not None and follow.id in by_id:
        return Assignment(
            by_id[follow.id],
            f"Same conflict: {follow.full_name} holds the other students' cases of this incident.",
        )
    previous = db.session.scalar(
        sa.select(Case.assignee_id)
        .where(Case.student_id == student.id, Case.kind == kind, Case.assignee_id.is_not(None))
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(1)
    )
    if previous in by_id:
        return Assignment(
            by_id[previous], f"Continuity: {by_id[previous].full_name} worked with the student before."
        )
    loads = weighted_caseloads(list(by_id))
    language = guardian_language(student)
    speakers = [w for w in workers if language and language in (w.languages or "").split(",")]
    pool = speakers or workers
    chosen = min(pool, key=lambda w: (loads[w.id], w.id))
    reason = f"Lowest weighted caseload ({loads[chosen.id]}) among {len(workers)} {label}(s)"
    if speakers:
        reason += f", speaking the family's language ({language})"
    return Assignment(chosen, reason + ".")
