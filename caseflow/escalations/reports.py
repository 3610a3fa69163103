"""Referral and arrest counts as the Civil Rights Data Collection counts them: students, not
instances. A referral to law enforcement is an approved escalation that was referred, or an
emergency police response; a school-related arrest is either one whose outcome is an arrest."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.extensions import db
from caseflow.reports.periods import school_year_of, year_bounds


def _students(school_id: int, start: datetime, end: datetime, *, arrests: bool) -> sa.Select:
    escalations = sa.select(Escalation.student_id).where(
        Escalation.school_id == school_id,
        Escalation.status == "approved",
        Escalation.referred_at >= start,
        Escalation.referred_at < end,
    )
    emergencies = sa.select(EmergencyResponse.student_id).where(
        EmergencyResponse.school_id == school_id,
        EmergencyResponse.called_at >= start,
        EmergencyResponse.called_at < end,
    )
    if arrests:
        escalations = escalations.where(Escalation.outcome == "arrest")
        emergencies = emergencies.where(EmergencyResponse.outcome == "arrest")
    return sa.union(escalations, emergencies)


def referral_counts(school_id: int, start_year: int | None = None) -> dict[str, int]:
    """Students referred to law enforcement, and students arrested, in one school year."""
    start_year = start_year if start_year is not None else school_year_of(now_utc().date())
    start, end = year_bounds(start_year)
    count = lambda q: db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))  # noqa: E731
    return {
        "referred_students": count(_students(school_id, start, end, arrests=False)),
        "arrested_students": count(_students(school_id, start, end, arrests=True)),
    }
