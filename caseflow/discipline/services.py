"""Recording disciplinary actions, and the one question reports ask of them: which students
were suspended in a period.

Only administrators record an action (Permission.DISCIPLINE_RECORD), only for a student who
was responsible in the incident, only in a school they serve; every action is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from caseflow.audit.services import record
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc
from caseflow.discipline import gate
from caseflow.discipline.models import ACTION_LABELS, DisciplineAction
from caseflow.discipline.placement import assess_removal
from caseflow.discipline.removals import planned_days
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.incidents.policy import can_read_incident
from caseflow.people.models import Student
from caseflow.schooldays import school_calendar


def can_record_action(user, incident: Incident) -> bool:
    return user.can(Permission.DISCIPLINE_RECORD) and can_read_incident(user, incident)


def can_see_actions(user, incident: Incident) -> bool:
    """Administrators and auditors of the incident's school: the reporting teacher and the
    caseworkers do not see what was decided (the page and the API agree)."""
    return (
        user.can(Permission.DISCIPLINE_RECORD) or user.can(Permission.INCIDENT_READ_SCHOOL)
    ) and can_read_incident(user, incident)


def record_action(
    *,
    actor,
    incident: Incident,
    student_id: int,
    action_code: str,
    action_date: date,
    length_days: Decimal | None = None,
    note: str | None = None,
    answers: dict | None = None,
    end_date: date | None = None,
    pattern_answers: dict | None = None,
    now: datetime | None = None,
) -> tuple[DisciplineAction, bool]:
    """Record what was decided for a responsible student of `incident`. Returns the action and
    whether it was new: the same action for the same student, incident and day is stored once.
    Every new action passes the exclusion gate (gate.admit, with `answers`): an exclusion may
    wait for a second administrator. Raises Forbidden, ValidationFailed, gate.ExclusionRefused
    (the doors store the refusal with gate.attempt())."""
    now = now or now_utc()
    if not can_record_action(actor, incident):
        raise Forbidden(gettext("You may not record disciplinary actions for this incident."))
    fields: dict[str, list[str]] = {}
    responsible = {s.student_id for s in incident.students if s.role == "responsible"}
    if student_id not in responsible:
        fields["student_id"] = [gettext("Choose a student who was responsible in this incident.")]
    if action_code not in ACTION_LABELS:
        fields["action_code"] = [gettext("Choose one of the listed actions.")]
    if action_date is not None and action_date < incident.occurred_at.date() - timedelta(days=1):
        fields["action_date"] = [gettext("An action cannot come before the incident.")]
    if action_date is not None and action_date > now.date() + timedelta(days=366):
        fields["action_date"] = [gettext("Give a date within the next year.")]
    if end_date is not None and action_date is not None and end_date < action_date:
        fields["end_date"] = [gettext("The last day cannot come before the first.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    existing = db.session.scalar(
        sa.select(DisciplineAction).where(
            DisciplineAction.incident_id == incident.id,
            DisciplineAction.student_id == student_id,
            DisciplineAction.action_code == action_code,
            DisciplineAction.action_date == action_date,
        )
    )
    if existing is not None:
        return existing, False
    if end_date is not None and length_days is None:
        # Given as dates: its length is the school days from the first to the last day.
        length_days = Decimal(len(planned_days(action_date, school_calendar(), end=end_date)))
    checked = gate.admit(
        actor=actor,
        incident=incident,
        student=db.session.get(Student, student_id),
        action_code=action_code,
        action_date=action_date,
        length_days=length_days,
        answers=answers,
        now=now,
    )
    action = DisciplineAction(
        district_id=incident.district_id,
        school_id=incident.school_id,
        student_id=student_id,
        incident_id=incident.id,
        action_code=action_code,
        action_date=action_date,
        length_days=length_days,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
        recorded_at=now,
        **checked,
        end_date=end_date,
    )
    # A student with an IEP or 504 plan: a change of placement is stored provisional.
    assess_removal(action, pattern_answers=pattern_answers, now=now)
    try:
        with db.session.begin_nested():  # a savepoint: a twin request may have stored it first
            db.session.add(action)
            db.session.flush()
    except IntegrityError:
        twin = db.session.scalar(
            sa.select(DisciplineAction).where(
                DisciplineAction.incident_id == incident.id,
                DisciplineAction.student_id == student_id,
                DisciplineAction.action_code == action_code,
                DisciplineAction.action_date == action_date,
                DisciplineAction.external_id.is_(None),
            )
        )
        if twin is None:
            raise
        return twin, False
    record(
        actor,
        "discipline_action.recorded",
        action,
        student_id=student_id,
        now=now,
        changes={
            "incident_id": incident.id,
            "action_code": action_code,
            "action_date": action_date,
            **checked,
            "length_days": action.length_days,
            "status": action.status,
            "placement_reason": action.placement_reason,
        },
    )
    if action.approval == "pending":
        gate.tell_administrators(action, actor, now)
    return action, True


def actions_for_incident(incident_id: int) -> list[DisciplineAction]:
    """The incident's actions, oldest first, with their students (two queries)."""
    from sqlalchemy.orm import selectinload

    return db.session.scalars(
        sa.select(DisciplineAction)
        .where(DisciplineAction.incident_id == incident_id)
        .order_by(DisciplineAction.action_date, DisciplineAction.id)
        .options(selectinload(DisciplineAction.student))
    ).all()
