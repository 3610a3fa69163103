"""Who was referred to law enforcement, and who was arrested: one definition for the
civil-rights counts (caseflow.reports.civil_rights), the disparity monitor
(caseflow.reports.monitor), the Ed-Fi export's ReportedToLawEnforcement
(caseflow.exports.services) and the escalation audit's group data.

A referral or an arrest counts only the student reported for their own conduct: the student
named responsible on the incident it is about (Ed-Fi's Perpetrator). A student harmed by the
incident, a witness or anyone else named on it is never counted as referred or arrested, even
when police were asked to come about that student (a crime by someone who is not a student,
a victim's safety).

The events, each at the school where it happened:
- an approved escalation that was referred (at `referred_at`), an arrest when its outcome is;
- an emergency police response (at `called_at`): one about an incident counts its student only
  when responsible there; one that names no incident counts its student, the person the police
  were called about;
- an incident imported from another system whose source says it was reported to law
  enforcement: a historical referral of each of its responsible students (at `occurred_at`;
  whether anyone was arrested is not known). Importing it created no escalation.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.incidents.models import Incident, IncidentStudent

RESPONSIBLE = "responsible"


def responsible_on(incident_id, student_id):
    """SQL: the student is named responsible on the incident."""
    return sa.exists().where(
        IncidentStudent.incident_id == incident_id,
        IncidentStudent.student_id == student_id,
        IncidentStudent.role == RESPONSIBLE,
    )


def counts_student(model):
    """SQL over Escalation or EmergencyResponse rows: the row's student is the one reported for
    their own conduct (see the module's docstring)."""
    own_conduct = responsible_on(model.incident_id, model.student_id)
    if model is EmergencyResponse:
        return sa.or_(EmergencyResponse.incident_id.is_(None), own_conduct)
    return own_conduct


def counts_role(kind: str, role: str | None) -> bool:
    """The same rule for one loaded row: `role` is the student's part on the incident (None
    when the row names no incident, which only an emergency response may)."""
    return role == RESPONSIBLE or (kind == "emergency" and role is None)


def events(start: datetime, end: datetime, school_ids: list[int] | None = None) -> sa.Subquery:
    """(school_id, student_id, incident_id, arrest, at) of every counted referral in [start, end),
    in `school_ids` (all schools when None). One row per event: a student referred twice is
    two rows (the instance counts), once per student in the student counts."""

    def where_school(column):
        return [column.in_(school_ids)] if school_ids is not None else []

    escalations = sa.select(
        Escalation.school_id.label("school_id"),
        Escalation.student_id.label("student_id"),
        Escalation.incident_id.label("incident_id"),
        sa.func.coalesce(Escalation.outcome == "arrest", sa.false()).label("arrest"),
        Escalation.referred_at.label("at"),
    ).where(
        *where_school(Escalation.school_id),
        Escalation.status == "approved",
        Escalation.referred_at >= start,
        Escalation.referred_at < end,
        counts_student(Escalation),
    )
    emergencies = sa.select(
        EmergencyResponse.school_id,
        EmergencyResponse.student_id,
        EmergencyResponse.incident_id,
        sa.func.coalesce(EmergencyResponse.outcome == "arrest", sa.false()),
        EmergencyResponse.called_at,
    ).where(
        *where_school(EmergencyResponse.school_id),
        EmergencyResponse.called_at >= start,
        EmergencyResponse.called_at < end,
        counts_student(EmergencyResponse),
    )
    historical = (
        sa.select(
            Incident.school_id,
            IncidentStudent.student_id,
            Incident.id,
            sa.false(),
            Incident.occurred_at,
        )
        .join(IncidentStudent, IncidentStudent.incident_id == Incident.id)
        .where(
            *where_school(Incident.school_id),
            Incident.reported_to_law_enforcement.is_(True),
            IncidentStudent.role == RESPONSIBLE,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
        )
    )
    return sa.union_all(escalations, emergencies, historical).subquery()
