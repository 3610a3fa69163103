"""Escalations to law enforcement, the reviews they need, the refused attempts, and emergency
police responses recorded after the fact.

The database backs the gate (see services.py for the rule in words): an approved escalation
references a guardian contact of the same student, about the same incident, that reached
someone (a composite foreign key onto guardian_contacts (id, student_id, reached, incident_id)
with reached = true), names its approver,
and the approver is not the requester. On PostgreSQL a trigger also checks that the contact was
made after the incident and before the approval, with a guardian who may be contacted, and that
the approver is an administrator of the school or the district (migration 0010).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.labels import N_, shown_reasons
from caseflow.people.models import School, Student

ESCALATION_STATUSES = {
    "requested": N_("Waiting for approval"),
    "refused": N_("Refused (no criterion met)"),
    "approved": N_("Approved"),
    "denied": N_("Denied"),
    "withdrawn": N_("Withdrawn"),
}
OUTCOMES = {
    "no_action": N_("No action"),
    "diversion": N_("Diversion"),
    "citation": N_("Citation"),
    "court_referral": N_("Court referral"),
    "arrest": N_("Arrest"),
}
REVIEW_KINDS = {
    "disability_review": N_("IEP/504 review"),
    "clinician_statement": N_("Clinician's statement"),
}


class Escalation(db.Model):
    __tablename__ = "escalations"
    __table_args__ = (
        sa.CheckConstraint(
            "status <> 'approved' OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL "
            "AND guardian_contact_id IS NOT NULL AND guardian_reached AND criteria_met IS NOT NULL)",
            name="approved_complete",
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> requested_by_id", name="approver_not_requester"
        ),
        sa.CheckConstraint("referred_at IS NULL OR status = 'approved'", name="referral_after_approval"),
        sa.CheckConstraint("outcome IS NULL OR referred_at IS NOT NULL", name="outcome_after_referral"),
        # The approval rests on a contact of the same student, about the same incident, that
        # reached a guardian.
        sa.ForeignKeyConstraint(
            ["guardian_contact_id", "student_id", "guardian_reached", "incident_id"],
            [
                "guardian_contacts.id",
                "guardian_contacts.student_id",
                "guardian_contacts.reached",
                "guardian_contacts.incident_id",
            ],
            name="fk_escalations_guardian_contact_reached",
        ),
        # One live request per student and incident: a retried request never stores twice.
        sa.Index(
            "uq_escalations_live",
            "incident_id",
            "student_id",
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    criteria: Mapped[list] = mapped_column(sa.JSON)  # the criterion ids claimed
    justification: Mapped[str] = mapped_column(sa.Text)
    rules_version: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(enum_column_type(tuple(ESCALATION_STATUSES), "status"))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The approval, and what it rested on.
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guardian_contact_id: Mapped[int | None] = mapped_column()
    guardian_reached: Mapped[bool | None] = mapped_column()
    criteria_met: Mapped[list | None] = mapped_column(sa.JSON)
    facts: Mapped[dict | None] = mapped_column(sa.JSON)
    # A denial or withdrawal.
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    # After approval: the referral, and later its outcome.
    referral_agency: Mapped[str | None] = mapped_column(sa.String(200))
    referral_officer: Mapped[str | None] = mapped_column(sa.String(200))
    referred_officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(enum_column_type(tuple(OUTCOMES), "outcome"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)

    school: Mapped[School] = relationship()
    student: Mapped[Student] = relationship()
    incident: Mapped[Incident] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    reviews: Mapped[list[EscalationReview]] = relationship(order_by="EscalationReview.id")
    refusals: Mapped[list[GateRefusal]] = relationship(order_by="GateRefusal.id")

    __mapper_args__ = {"version_id_col": version}


class EscalationReview(db.Model):
    """A review an escalation needs: the IEP/504 review (case manager or school psychologist),
    or the statement of the clinician who was working with the student."""

    __tablename__ = "escalation_reviews"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'clinician_statement') = (police_necessary IS NOT NULL)", name="statement_answers"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    kind: Mapped[str] = mapped_column(enum_column_type(tuple(REVIEW_KINDS), "kind"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    text: Mapped[str] = mapped_column(sa.Text)
    # The clinician's answer: is police involvement necessary?
    police_necessary: Mapped[bool | None] = mapped_column()

    author: Mapped[User] = relationship()


class GateRefusal(db.Model):
    """An attempt the gate refused (a request with no criterion met, or an approval with
    something missing), with every reason, kept for the audit."""

    __tablename__ = "gate_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    stage: Mapped[str] = mapped_column(enum_column_type(("request", "approval"), "stage"))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    reasons: Mapped[list] = mapped_column(sa.JSON)
    # The reasons as messages (caseflow.labels.Message.as_json), worded in the reader's language
    # on a page; None for a refusal stored before they were kept.
    messages: Mapped[list | None] = mapped_column(sa.JSON)

    actor: Mapped[User] = relationship()

    @property
    def shown_reasons(self) -> list:
        """The reasons in the reader's language (an older refusal's as they were written)."""
        return shown_reasons(self.messages, self.reasons)


class EmergencyResponse(db.Model):
    """A police response called outside Caseflow (a life in danger, 911 called directly),
    recorded afterwards. It is never an approved escalation: it needs a justification within
    one school day and a guardian contact as soon as possible, and an administrator reviews
    every one."""

    __tablename__ = "emergency_responses"
    __table_args__ = (
        sa.CheckConstraint("(reviewed_at IS NULL) = (reviewed_by_id IS NULL)", name="reviewed_by"),
        # A response is reviewed only once a guardian was reached after the call.
        sa.CheckConstraint("reviewed_at IS NULL OR guardian_contact_id IS NOT NULL", name="reviewed_contact"),
        sa.CheckConstraint("outcome IS NULL OR outcome_at IS NOT NULL", name="outcome_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller: Mapped[str] = mapped_column(sa.String(200))
    agency: Mapped[str | None] = mapped_column(sa.String(200))
    what_happened: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    justification: Mapped[str | None] = mapped_column(sa.Text)
    justified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    justification_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    guardian_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardian_contacts.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(enum_column_type(tuple(OUTCOMES), "outcome"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    school: Mapped[School] = relationship()
    student: Mapped[Student] = relationship()

    __mapper_args__ = {"version_id_col": version}
