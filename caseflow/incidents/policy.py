"""Who may log, read, correct and annotate incidents.

- Anyone with `incident.create` logs incidents for the schools they serve.
- The reporter reads what they logged ("My incidents"); the people working a case opened for
  an incident (its owner, its threat-assessment team) read that incident, without its
  triage decisions; `incident.read_school` (administrators, district auditors) and
  `decision.override` (counselors, who review triage) read every incident of the schools they
  serve, with its triage decisions.
- Only the reporter edits, and only until someone starts working on the incident (a case is
  opened for it); each edit is triaged again. After that a correction is an addendum, by the
  reporter or a school administrator, never a silent edit.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.permissions import Permission
from caseflow.incidents.models import Incident
from caseflow.people.policy import in_served_schools

# Statuses in which nobody has started working on the incident yet.
EDITABLE_STATUSES = frozenset({"logged", "routed"})


def can_log_for_school(user, school_id: int) -> bool:
    return user.is_authenticated and user.can(Permission.INCIDENT_CREATE) and user.serves_school(school_id)


def can_see_decisions(user) -> bool:
    """Triage decisions (tiers, routes and why) are for the people who review them, not reporters."""
    return user.can(Permission.INCIDENT_READ_SCHOOL) or user.can(Permission.DECISION_OVERRIDE)


def _reads_school(user, incident: Incident) -> bool:
    return (
        can_see_decisions(user)
        and user.district_id == incident.district_id
        and user.serves_school(incident.school_id)
    )


def worked_by(user):
    """SQL condition on Incident: an incident behind a case `user` works, as the case's owner
    or a member of its threat-assessment team."""
    return Incident.id.in_(worked_incident_ids(user))


def worked_incident_ids(user) -> sa.Select:
    """The ids of the incidents behind the cases of `user`'s district that they own, and of those
    whose threat-assessment team they are on: two selects, each led by an index (the owner's
    cases; the team's memberships), so the database never weighs every case against them."""
    from caseflow.cases.models import Case, CaseIncident
    from caseflow.threats.models import ThreatAssessment, ThreatTeamMember

    owned = (
        sa.select(CaseIncident.incident_id)
        .join(Case, Case.id == CaseIncident.case_id)
        .where(Case.district_id == user.district_id, Case.assignee_id == user.id)
    )
    on_team = (
        sa.select(CaseIncident.incident_id)
        .join(Case, Case.id == CaseIncident.case_id)
        .join(ThreatAssessment, ThreatAssessment.case_id == Case.id)
        .join(ThreatTeamMember, ThreatTeamMember.assessment_id == ThreatAssessment.id)
        .where(Case.district_id == user.district_id, ThreatTeamMember.user_id == user.id)
    )
    return sa.union(owned, on_team)


def _works_a_case_behind(user, incident: Incident) -> bool:
    from caseflow.extensions import db

    if not user.can(Permission.CASE_READ) or user.district_id != incident.district_id:
        return False
    return (
        db.session.scalar(sa.select(sa.literal(True)).where(Incident.id == incident.id, worked_by(user)))
        or False
    )


def can_read_incident(user, incident: Incident) -> bool:
    """The reporter; administrators, auditors and counselors of the school; and the people who
    work a case opened for it (its owner, its threat-assessment team), who see the incident
    without its triage decisions (can_see_decisions)."""
    if not user.is_authenticated:
        return False
    return (
        incident.reported_by_id == user.id
        or _reads_school(user, incident)
        or _works_a_case_behind(user, incident)
    )


def can_edit_incident(user, incident: Incident) -> bool:
    return (
        user.is_authenticated and incident.reported_by_id == user.id and incident.status in EDITABLE_STATUSES
    )


def can_add_addendum(user, incident: Incident) -> bool:
    """The reporter, or a school administrator; never a read-only auditor."""
    if not user.is_authenticated or not user.can(Permission.INCIDENT_CREATE):
        return False
    return incident.reported_by_id == user.id or _reads_school(user, incident)


def visible_incidents(user) -> sa.Select:
    """SELECT of the incidents `user` may read."""
    stmt = sa.select(Incident)
    if not user.is_authenticated:
        return stmt.where(sa.false())
    mine = Incident.reported_by_id == user.id
    if user.can(Permission.CASE_READ):
        mine = sa.or_(mine, worked_by(user))
    if can_see_decisions(user):
        return stmt.where(sa.or_(mine, in_served_schools(user, Incident)))
    return stmt.where(mine)


def visible_incident_parts(user) -> list:
    """The incidents `user` may read (visible_incidents), as disjoint SQL conditions on Incident
    whose union is exactly visible_incidents(user): one per school served (the district for a
    district-wide reader), then their own reports outside those schools, then the incidents
    behind a case they work that are neither. Each part is one range of an index in
    (occurred_at, id) order, so a list reads each part newest first and merges them
    (caseflow.incidents.services.list_incidents) instead of sorting every visible row."""
    if not user.is_authenticated:
        return []
    parts = []
    outside = None  # the incidents not already in a school part
    if can_see_decisions(user):
        in_district = Incident.district_id == user.district_id
        if user.district_wide:
            parts.append(in_district)
        else:
            parts.extend(sa.and_(in_district, Incident.school_id == s) for s in sorted(user.school_ids))
        outside = sa.not_(in_served_schools(user, Incident))
    mine = Incident.reported_by_id == user.id
    parts.append(mine if outside is None else sa.and_(mine, outside))
    if user.can(Permission.CASE_READ):
        worked = sa.and_(worked_by(user), Incident.reported_by_id != user.id)
        parts.append(worked if outside is None else sa.and_(worked, outside))
    return parts
