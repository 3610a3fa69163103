"""Recording guardian contacts, and the one question the rest of the product asks of them:
was a guardian of this student, allowed to be contacted, reached (before a given time)?"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from caseflow.audit.services import record
from caseflow.auth.permissions import Permission
from caseflow.contacts.models import CONTACT_METHODS, CONTACT_PURPOSES, GuardianContact
from caseflow.db import now_utc
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.people.models import Student, StudentGuardian
from caseflow.people.policy import can_read_student

LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# Contacts that are always about one incident.
INCIDENT_PURPOSES = ("incident_notice", "escalation_notice")
# A contact logged from a phone whose clock runs a little ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


def can_record_contact(user, student: Student) -> bool:
    return can_read_student(user, student) and user.can(Permission.GUARDIAN_CONTACT)


def can_see_contacts(user, student: Student) -> bool:
    """People working with the student's cases, and auditors; not the roster administrators."""
    return can_read_student(user, student) and (
        user.can(Permission.CASE_READ) or user.can(Permission.AUDIT_READ)
    )


def record_contact(
    *,
    actor,
    student: Student,
    link_id: int,
    contacted_at: datetime,
    method: str,
    language: str,
    reached: bool,
    purpose: str = "general",
    note: str | None = None,
    incident_id: int | None = None,
    now: datetime | None = None,
) -> GuardianContact:
    """Log a contact (or an attempt) with one of the student's guardians, about one of the
    student's incidents or in general.

    A guardian under a no-contact order is refused: the school must not contact them, and such
    a contact could never count as the parents being told. Only a contact about an incident can
    count for that incident's police escalation. Raises Forbidden, ValidationFailed.
    """
    now = now or now_utc()
    if not can_record_contact(actor, student):
        raise Forbidden(gettext("You may not record guardian contacts for this student."))
    fields: dict[str, list[str]] = {}
    link = db.session.get(StudentGuardian, link_id) if link_id else None
    if link is None or link.student_id != student.id:
        fields["link_id"] = [gettext("Choose one of this student's guardians.")]
    elif not link.may_be_contacted:
        fields["link_id"] = [gettext("This guardian is under a no-contact order and must not be contacted.")]
    if method not in CONTACT_METHODS:
        fields["method"] = ["Choose how: " + ", ".join(CONTACT_METHODS.values()).lower() + "."]
    if purpose not in CONTACT_PURPOSES:
        fields["purpose"] = [gettext("Choose what the contact was about.")]
    incident = db.session.get(Incident, incident_id) if incident_id else None
    if incident_id and (
        incident is None
        or incident.district_id != student.district_id
        or not any(s.student_id == student.id for s in incident.students)
    ):
        fields["incident_id"] = [gettext("Choose one of this student's incidents, or none.")]
    elif incident is None and purpose in INCIDENT_PURPOSES:
        fields["incident_id"] = [gettext("Choose the incident this contact was about.")]
    language = (language or "").strip().lower()
    if not LANGUAGE.match(language):
        fields["language"] = [gettext("Give the language spoken as a 2-3 letter code (en, es, vi …).")]
    if contacted_at is None:
        fields["contacted_at"] = [gettext("Give the date and time of the contact.")]
    elif contacted_at > now + CLOCK_SKEW:
        fields["contacted_at"] = [gettext("A contact cannot be in the future.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    contact = GuardianContact(
        district_id=student.district_id,
        student_id=student.id,
        link_id=link.id,
        guardian_id=link.guardian_id,
        contacted_at=min(contacted_at, now),
        method=method,
        language=language,
        reached=bool(reached),
        purpose=purpose,
        incident_id=incident.id if incident else None,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(contact)
    db.session.flush()
    record(
        actor,
        "guardian_contact.recorded",
        contact,
        student_id=student.id,
        now=now,
        changes={
            "guardian_id": link.guardian_id,
            "contacted_at": contact.contacted_at,
            "method": method,
            "language": language,
            "reached": contact.reached,
            "purpose": purpose,
            "incident_id": contact.incident_id,
        },
    )
    return contact


def contacts_of(student_id: int) -> list[GuardianContact]:
    """The student's contact log, newest first."""
    from sqlalchemy.orm import selectinload

    return db.session.scalars(
        sa.select(GuardianContact)
        .where(GuardianContact.student_id == student_id)
        .order_by(GuardianContact.contacted_at.desc(), GuardianContact.id.desc())
        .options(selectinload(GuardianContact.guardian), selectinload(GuardianContact.recorded_by))
    ).all()


def incidents_for_contact(student_id: int, limit: int = 20) -> list[Incident]:
    """The student's latest incidents, newest first: what a contact can be about."""
    from caseflow.incidents.models import IncidentStudent

    return db.session.scalars(
        sa.select(Incident)
        .join(IncidentStudent, IncidentStudent.incident_id == Incident.id)
        .where(IncidentStudent.student_id == student_id)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .limit(limit)
        .options(selectinload(Incident.behaviors))
    ).all()


def notice_arrived() -> sa.ColumnElement[bool]:
    """A contact logged by hand counts as it was recorded; a notice sent from Caseflow counts
    once it can have arrived: a letter once printed, an e-mail once the guardian's mail server
    accepted it (never one still in the outbox, never a bounced one)."""
    return sa.or_(
        GuardianContact.delivery.is_(None),
        GuardianContact.delivery == "delivered",
        sa.and_(GuardianContact.method == "letter", GuardianContact.delivery == "sent"),
    )


def reached_contacts(student_id: int, *, before: datetime | None = None) -> sa.Select:
    """Contacts that reached a guardian of the student who may be contacted (today's
    restrictions apply: a guardian placed under a no-contact order since does not count; a
    notice counts once it can have arrived: notice_arrived)."""
    stmt = (
        sa.select(GuardianContact)
        .join(StudentGuardian, StudentGuardian.id == GuardianContact.link_id)
        .where(
            GuardianContact.student_id == student_id,
            GuardianContact.reached.is_(True),
            StudentGuardian.student_id == student_id,
            StudentGuardian.legal_restriction != "no_contact",
            notice_arrived(),
        )
    )
    if before is not None:
        stmt = stmt.where(GuardianContact.contacted_at <= before)
    return stmt.order_by(GuardianContact.contacted_at.desc(), GuardianContact.id.desc())
