"""Reach parity, on the disparity monitor: do families who speak another language at home hear
from the school as often, and as soon, as English-speaking families?

The unit is a student involved in an incident of the school year that led to a decision about
them: a suspension (recorded for that incident), a police escalation request (for that incident
and student) or an intervention plan (in a case the incident is part of). Its decision time is
the earliest of these (a suspension counts from when it was recorded in Caseflow).

A guardian is reached when a contact with a guardian of the student who may be contacted reached
them, after the incident: a call or meeting logged as reached, a letter printed, an e-mail
notice the guardian's mail server accepted (caseflow.contacts.services.notice_arrived; never a
bounced one). For each home-language group (the language of the student's primary contact;
students without one, or whose primary contact's language is not recorded, form the "not
recorded" row, which is never compared):

- share: of the group's students-with-a-decision, those with a guardian reached at or before the
  decision;
- median hours from the incident to the first reached contact (among those ever reached).

A share is given only when the group has at least the monitor's min_n students-with-a-decision
(workflows/reports.yaml), and an alert is raised when a group's share is below ALERT_FRACTION of
the English speakers' share (both groups large enough). One query whatever the size of the data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median

import sqlalchemy as sa

from caseflow.cases.models import Case, CaseIncident, InterventionPlan
from caseflow.contacts.models import GuardianContact
from caseflow.contacts.services import notice_arrived
from caseflow.discipline.models import SUSPENSIONS, DisciplineAction
from caseflow.escalations.models import Escalation
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentStudent
from caseflow.labels import N_
from caseflow.people.codes import COMMON_LANGUAGES
from caseflow.people.models import Guardian, School, StudentGuardian
from caseflow.reports.periods import year_bounds, zone_of
from caseflow.reports.settings import settings

ALERT_FRACTION = 0.9
REFERENCE = "en"
NOT_RECORDED = "not recorded"


@dataclass
class ReachRow:
    language: str  # a code, or NOT_RECORDED
    label: str
    n: int  # students-with-a-decision
    reached: int  # of them, a guardian reached at or before the decision
    share: float | None  # None: fewer than min_n
    median_hours: float | None  # incident to first reached contact, among those reached at all
    ever_reached: int


@dataclass
class ReachArea:
    name: str
    school_id: int | None
    rows: list[ReachRow]

    @property
    def reference(self) -> ReachRow | None:
        return next((r for r in self.rows if r.language == REFERENCE), None)


@dataclass
class ReachAlert:
    area: str
    language: str
    share: float
    reference_share: float


def _decisions() -> sa.Subquery:
    """(incident_id, student_id, decided_at): the earliest decision about a student of an
    incident: a suspension recorded for the incident, a police escalation request for the
    incident and student, an intervention plan in a case the incident is part of."""
    taken = sa.union_all(
        sa.select(
            DisciplineAction.incident_id.label("incident_id"),
            DisciplineAction.student_id.label("student_id"),
            DisciplineAction.recorded_at.label("at"),
        ).where(DisciplineAction.action_code.in_(SUSPENSIONS)),
        sa.select(Escalation.incident_id, Escalation.student_id, Escalation.requested_at),
        sa.select(CaseIncident.incident_id, Case.student_id, InterventionPlan.created_at)
        .join(Case, Case.id == InterventionPlan.case_id)
        .join(CaseIncident, CaseIncident.case_id == Case.id),
    ).subquery("taken")
    return (
        sa.select(taken.c.incident_id, taken.c.student_id, sa.func.min(taken.c.at).label("decided_at"))
        .where(taken.c.incident_id.is_not(None))
        .group_by(taken.c.incident_id, taken.c.student_id)
        .subquery("decided")
    )


def _facts(school_ids: list[int], start: datetime, end: datetime):
    """(school_id, language, occurred_at, first reached contact, students, reached at or before
    the decision) of the students with a decision, involved in an incident of the period at
    these schools: the students never reached are summed per school and language (occurred_at
    and the contact are None), the others per incident time and contact time, which the median
    needs. One query: the decisions, then the guardians' contacts, are joined to the pairs, not
    looked up for each."""
    decided = _decisions()
    first_reached = sa.func.min(GuardianContact.contacted_at)
    pairs = (
        sa.select(
            Incident.school_id,
            decided.c.student_id,
            Incident.occurred_at,
            decided.c.decided_at,
            first_reached.label("reached_at"),
        )
        .select_from(decided)
        .join(
            IncidentStudent,
            sa.and_(
                IncidentStudent.incident_id == decided.c.incident_id,
                IncidentStudent.student_id == decided.c.student_id,
            ),
        )
        .join(Incident, Incident.id == decided.c.incident_id)
        .outerjoin(
            sa.join(
                GuardianContact,
                StudentGuardian,
                sa.and_(
                    StudentGuardian.id == GuardianContact.link_id,
                    StudentGuardian.legal_restriction != "no_contact",
                ),
            ),
            sa.and_(
                GuardianContact.student_id == decided.c.student_id,
                GuardianContact.reached.is_(True),
                GuardianContact.contacted_at >= Incident.occurred_at,
                notice_arrived(),
            ),
        )
        .where(
            Incident.school_id.in_(school_ids),
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
        )
        .group_by(
            decided.c.incident_id,
            decided.c.student_id,
            Incident.school_id,
            Incident.occurred_at,
            decided.c.decided_at,
        )
        .subquery("pairs")
    )
    primary = (
        sa.select(StudentGuardian.student_id, Guardian.preferred_language)
        .join(Guardian, Guardian.id == StudentGuardian.guardian_id)
        .where(StudentGuardian.is_primary_contact.is_(True))  # at most one per student
        .subquery("primary_contact")
    )
    waited_from = sa.case((pairs.c.reached_at.is_not(None), pairs.c.occurred_at))
    on_time = sa.func.count(sa.case((pairs.c.reached_at <= pairs.c.decided_at, 1)))
    return db.session.execute(
        sa.select(
            pairs.c.school_id,
            primary.c.preferred_language,
            waited_from,
            pairs.c.reached_at,
            sa.func.count(),
            on_time,
        )
        .select_from(pairs)
        .outerjoin(primary, primary.c.student_id == pairs.c.student_id)
        .group_by(pairs.c.school_id, primary.c.preferred_language, waited_from, pairs.c.reached_at)
    ).all()


def _rows(facts: list, min_n: int) -> list[ReachRow]:
    groups: dict[str, list] = defaultdict(lambda: [0, 0, []])  # students, on time, waits
    for _, language, occurred, reached, n, on_time in facts:
        group = groups[(language or "").lower() or NOT_RECORDED]
        group[0] += n
        group[1] += on_time
        if reached is not None:
            group[2].extend([(reached - occurred).total_seconds() / 3600] * n)
    rows = []
    for language in sorted(groups, key=lambda code: (code == NOT_RECORDED, code != REFERENCE, code)):
        n, on_time, waits = groups[language]
        rows.append(
            ReachRow(
                language=language,
                label=N_("not recorded")
                if language == NOT_RECORDED
                else COMMON_LANGUAGES.get(language, language),
                n=n,
                reached=on_time,
                share=on_time / n if n >= min_n else None,
                median_hours=median(waits) if waits and n >= min_n else None,
                ever_reached=len(waits),
            )
        )
    return rows


def reach_parity(user, schools: list[School], start_year: int) -> list[ReachArea]:
    """What `user` sees: the district first when they serve the whole district, then each of
    `schools`."""
    from caseflow.people.models import District

    if not schools:
        return []
    start, end = year_bounds(start_year, zone_of(schools))
    ids = [s.id for s in schools]
    if user.district_wide:  # the district's row counts every school of the district
        ids = list(db.session.scalars(sa.select(School.id).where(School.district_id == user.district_id)))
    facts = _facts(ids, start, end)
    min_n = settings().min_n
    areas = []
    if user.district_wide:
        areas.append(ReachArea(db.session.get(District, user.district_id).name, None, _rows(facts, min_n)))
    by_school = defaultdict(list)
    for fact in facts:
        by_school[fact[0]].append(fact)
    for school in schools:
        areas.append(ReachArea(school.name, school.id, _rows(by_school[school.id], min_n)))
    return areas


def reach_alerts(areas: list[ReachArea]) -> list[ReachAlert]:
    """A language group whose share is below ALERT_FRACTION of the English speakers' (both large
    enough to have a share); the "not recorded" row is never compared."""
    out = []
    for area in areas:
        reference = area.reference
        if reference is None or reference.share is None:
            continue
        for row in area.rows:
            if row.language in (REFERENCE, NOT_RECORDED) or row.share is None:
                continue
            if row.share < ALERT_FRACTION * reference.share:
                out.append(ReachAlert(area.name, row.label, row.share, reference.share))
    return out
