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


def _first(column, *where) -> sa.ScalarSelect:
    return sa.select(sa.func.min(column)).where(*where).scalar_subquery()


def _facts(school_ids: list[int], start: datetime, end: datetime):
    """(school_id, language, occurred_at, decision times..., first reached contact) for each
    student involved in an incident of the period at these schools."""
    pair_incident, pair_student = IncidentStudent.incident_id, IncidentStudent.student_id
    suspended = _first(
        DisciplineAction.recorded_at,
        DisciplineAction.incident_id == pair_incident,
        DisciplineAction.student_id == pair_student,
        DisciplineAction.action_code.in_(SUSPENSIONS),
    )
    police = _first(
        Escalation.requested_at,
        Escalation.incident_id == pair_incident,
        Escalation.student_id == pair_student,
    )
    plan = _first(
        InterventionPlan.created_at,
        InterventionPlan.case_id == Case.id,
        Case.student_id == pair_student,
        CaseIncident.case_id == Case.id,
        CaseIncident.incident_id == pair_incident,
    )
    reached = _first(
        GuardianContact.contacted_at,
        GuardianContact.student_id == pair_student,
        GuardianContact.reached.is_(True),
        GuardianContact.contacted_at >= Incident.occurred_at,
        StudentGuardian.id == GuardianContact.link_id,
        StudentGuardian.legal_restriction != "no_contact",
        notice_arrived(),
    )
    language = (
        sa.select(Guardian.preferred_language)
        .join(StudentGuardian, StudentGuardian.guardian_id == Guardian.id)
        .where(StudentGuardian.student_id == pair_student, StudentGuardian.is_primary_contact.is_(True))
        .limit(1)
        .scalar_subquery()
    )
    return db.session.execute(
        sa.select(
            Incident.school_id,
            language,
            Incident.occurred_at,
            suspended,
            police,
            plan,
            reached,
        )
        .select_from(IncidentStudent)
        .join(Incident, Incident.id == pair_incident)
        .where(
            Incident.school_id.in_(school_ids),
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
        )
    ).all()


def _rows(facts: list, min_n: int) -> list[ReachRow]:
    groups: dict[str, list] = defaultdict(list)
    for _, language, occurred, *decisions, reached in facts:
        decided = [d for d in decisions if d is not None]
        if not decided:
            continue
        groups[(language or "").lower() or NOT_RECORDED].append((occurred, min(decided), reached))
    rows = []
    for language in sorted(groups, key=lambda code: (code == NOT_RECORDED, code != REFERENCE, code)):
        items = groups[language]
        on_time = sum(1 for _, decision, reached in items if reached is not None and reached <= decision)
        waits = [(reached - occurred).total_seconds() / 3600 for occurred, _, reached in items if reached]
        rows.append(
            ReachRow(
                language=language,
                label=N_("not recorded")
                if language == NOT_RECORDED
                else COMMON_LANGUAGES.get(language, language),
                n=len(items),
                reached=on_time,
                share=on_time / len(items) if len(items) >= min_n else None,
                median_hours=median(waits) if waits and len(items) >= min_n else None,
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
    for school in schools:
        areas.append(ReachArea(school.name, school.id, _rows([f for f in facts if f[0] == school.id], min_n)))
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
