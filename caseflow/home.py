"""What each person's home page leads with: their work, most pressing first.

- Caseworkers: their open cases, overdue and urgent first, and their plans due a check-in.
- Administrators: police requests waiting for them, emergency responses to review, cases
  waiting for an owner, this week's incidents.
- Teachers: their latest incidents and what became of them.
- School resource officers: the referrals sent to them.
Each part is a fixed number of queries, whatever the data size and whether a list is empty or
not (many-to-one rows are joined; collections are read by one query that always runs):
tests/test_home.py and the report pages' query-count test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from caseflow.auth.permissions import Permission
from caseflow.cases.models import Case
from caseflow.db import now_utc
from caseflow.extensions import db

SHOWN = 8
PRIORITY_RANK = sa.case({"urgent": 0, "soon": 1, "routine": 2}, value=Case.priority, else_=3)
CHECK_IN_EVERY = timedelta(days=7)


@dataclass
class Work:
    cases: list = field(default_factory=list)
    cases_total: int = 0
    overdue: int = 0
    check_ins_due: list = field(default_factory=list)
    approvals: list = field(default_factory=list)
    emergencies: list = field(default_factory=list)
    queued: list = field(default_factory=list)
    queued_total: int = 0
    week_incidents: int = 0
    incidents: list = field(default_factory=list)
    summaries: dict = field(default_factory=dict)
    behaviors: dict = field(default_factory=dict)
    students: dict = field(default_factory=dict)
    referrals: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.cases
            or self.approvals
            or self.emergencies
            or self.queued
            or self.incidents
            or self.referrals
        )


def work_for(user, now: datetime | None = None) -> Work:
    """The signed-in person's work for the home page."""
    now = now or now_utc()
    work = Work()
    if user.can(Permission.CASE_WORK) or user.can(Permission.CASE_ASSIGN):
        _my_cases(user, now, work)
    if user.can(Permission.ESCALATION_APPROVE):
        _administrator(user, now, work)
    if user.can(Permission.INCIDENT_READ_OWN) and user.can(Permission.INCIDENT_CREATE):
        _my_incidents(user, work)
    if user.can(Permission.ESCALATION_READ_REFERRED):
        from caseflow.escalations.models import Escalation

        work.referrals = db.session.scalar(
            sa.select(sa.func.count(Escalation.id)).where(
                Escalation.status == "approved", Escalation.referred_officer_id == user.id
            )
        )
    return work


def _my_cases(user, now: datetime, work: Work) -> None:
    from caseflow.cases.models import CheckIn, InterventionPlan

    mine = sa.and_(Case.assignee_id == user.id, Case.status != "closed")
    late = sa.and_(Case.due_at < now, Case.status.in_(("new", "assigned")))
    work.cases_total, work.overdue = db.session.execute(
        sa.select(sa.func.count(Case.id), sa.func.count(Case.id).filter(late)).where(mine)
    ).one()
    work.cases = db.session.scalars(
        sa.select(Case)
        .where(mine)
        .order_by(sa.case((late, 0), else_=1), PRIORITY_RANK, Case.due_at.is_(None), Case.due_at, Case.id)
        .limit(SHOWN)
        .options(joinedload(Case.student))
    ).all()
    rows = db.session.execute(
        sa.select(InterventionPlan, Case)
        .join(Case, Case.id == InterventionPlan.case_id)
        .where(InterventionPlan.owner_id == user.id, Case.status.in_(("active", "monitoring")))
        .where(sa.or_(InterventionPlan.end_date.is_(None), InterventionPlan.end_date >= now.date()))
        .order_by(InterventionPlan.id)
        .limit(50)
        .options(joinedload(Case.student))
    ).all()
    last_check_in = dict(
        db.session.execute(
            sa.select(CheckIn.plan_id, sa.func.max(CheckIn.day))
            .where(CheckIn.plan_id.in_([plan.id for plan, _ in rows]))
            .group_by(CheckIn.plan_id)
        ).all()
    )
    cutoff = now.date() - CHECK_IN_EVERY
    work.check_ins_due = [
        (plan, case) for plan, case in rows if last_check_in.get(plan.id, plan.start_date) <= cutoff
    ][:SHOWN]


def _administrator(user, now: datetime, work: Work) -> None:
    from caseflow.escalations.models import EmergencyResponse, Escalation
    from caseflow.incidents.models import Incident
    from caseflow.people.policy import in_served_schools

    work.approvals = db.session.scalars(
        sa.select(Escalation)
        .where(in_served_schools(user, Escalation), Escalation.status == "requested")
        .where(Escalation.requested_by_id != user.id)
        .order_by(Escalation.requested_at)
        .limit(SHOWN)
        .options(joinedload(Escalation.student), joinedload(Escalation.school))
    ).all()
    work.emergencies = db.session.scalars(
        sa.select(EmergencyResponse)
        .where(in_served_schools(user, EmergencyResponse), EmergencyResponse.reviewed_at.is_(None))
        .order_by(EmergencyResponse.called_at)
        .limit(SHOWN)
        .options(joinedload(EmergencyResponse.student), joinedload(EmergencyResponse.school))
    ).all()
    queued = sa.and_(in_served_schools(user, Case), Case.assignee_id.is_(None), Case.status == "new")
    work.queued_total = db.session.scalar(sa.select(sa.func.count(Case.id)).where(queued))
    work.queued = db.session.scalars(
        sa.select(Case)
        .where(queued)
        .order_by(PRIORITY_RANK, Case.opened_at)
        .limit(SHOWN)
        .options(joinedload(Case.student), joinedload(Case.school))
    ).all()
    zone = ZoneInfo(user.district.time_zone)
    today = now.astimezone(zone).date()
    monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), zone)
    work.week_incidents = db.session.scalar(
        sa.select(sa.func.count(Incident.id)).where(
            in_served_schools(user, Incident), Incident.occurred_at >= monday
        )
    )


def _my_incidents(user, work: Work) -> None:
    from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
    from caseflow.incidents.services import status_summaries
    from caseflow.incidents.taxonomy import get_taxonomy
    from caseflow.people.models import Student

    work.incidents = db.session.scalars(
        sa.select(Incident)
        .where(Incident.reported_by_id == user.id)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .limit(5)
    ).all()
    ids = [i.id for i in work.incidents]
    known = get_taxonomy().behaviors
    for incident_id, code in db.session.execute(
        sa.select(IncidentBehavior.incident_id, IncidentBehavior.behavior_code)
        .where(IncidentBehavior.incident_id.in_(ids))
        .order_by(IncidentBehavior.incident_id, IncidentBehavior.position)
    ):
        work.behaviors.setdefault(incident_id, []).append(known[code].label if code in known else code)
    for incident_id, student in db.session.execute(
        sa.select(IncidentStudent.incident_id, Student)
        .join(Student, Student.id == IncidentStudent.student_id)
        .where(IncidentStudent.incident_id.in_(ids))
        .order_by(IncidentStudent.incident_id, Student.last_name, Student.first_name)
    ):
        work.students.setdefault(incident_id, []).append(student.display_name)
    work.summaries = status_summaries(work.incidents, user)
