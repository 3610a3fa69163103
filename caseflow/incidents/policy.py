"""Who may log, read, correct and annotate incidents.

- Anyone with `incident.create` logs incidents for the schools they serve.
- The reporter reads what they logged ("My incidents"); `incident.read_school` (administrators,
  district auditors) reads every incident of the schools they serve.
- Only the reporter edits, and only until the incident is routed; after that a correction is
  an addendum, by the reporter or a school administrator, never a silent edit.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.permissions import Permission
from caseflow.incidents.models import Incident


def can_log_for_school(user, school_id: int) -> bool:
    return user.is_authenticated and user.can(Permission.INCIDENT_CREATE) and user.serves_school(school_id)


def _reads_school(user, incident: Incident) -> bool:
    return (
        user.can(Permission.INCIDENT_READ_SCHOOL)
        and user.district_id == incident.district_id
        and user.serves_school(incident.school_id)
    )


def can_read_incident(user, incident: Incident) -> bool:
    if not user.is_authenticated:
        return False
    return incident.reported_by_id == user.id or _reads_school(user, incident)


def can_edit_incident(user, incident: Incident) -> bool:
    return user.is_authenticated and incident.reported_by_id == user.id and incident.status == "logged"


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
    if user.can(Permission.INCIDENT_READ_SCHOOL):
        school = Incident.district_id == user.district_id
        if not user.district_wide:
            school = sa.and_(school, Incident.school_id.in_(user.school_ids or {-1}))
        return stmt.where(sa.or_(mine, school))
    return stmt.where(mine)
