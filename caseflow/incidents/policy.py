"""Who may log, read, correct and annotate incidents.

- Anyone with `incident.create` logs incidents for the schools they serve.
- The reporter reads what they logged ("My incidents"); `incident.read_school` (administrators,
  district auditors) and `decision.override` (counselors, who review triage) read every
  incident of the schools they serve, with its triage decisions.
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


def can_read_incident(user, incident: Incident) -> bool:
    if not user.is_authenticated:
        return False
    return incident.reported_by_id == user.id or _reads_school(user, incident)


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
    if can_see_decisions(user):
        return stmt.where(sa.or_(mine, in_served_schools(user, Incident)))
    return stmt.where(mine)
