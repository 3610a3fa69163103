"""The guardian contact log: every call, meeting, text, e-mail or letter to a student's
guardian, including the attempts that reached nobody."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.labels import N_
from caseflow.people.models import Guardian, StudentGuardian

CONTACT_METHODS = {
    "phone": N_("Phone call"),
    "in_person": N_("In person"),
    "text": N_("Text message"),
    "email": N_("E-mail"),
    "letter": N_("Letter"),
}
# What became of a written notice (an e-mail or a letter the school sent from Caseflow): sent,
# then delivered or bounced as the mail job learns it. None for a contact logged by hand.
DELIVERY_STATES = ("sent", "delivered", "bounced")
CONTACT_PURPOSES = {
    "general": N_("General"),
    "incident_notice": N_("About an incident"),
    "threat_warning": N_("Warning about a threat to their child"),
    "escalation_notice": N_("Before a police escalation"),
    "emergency_notice": N_("After an emergency police response"),
}


class GuardianContact(db.Model):
    __tablename__ = "guardian_contacts"
    __table_args__ = (
        # Lets a police escalation reference a contact of *its* student that reached someone.
        sa.UniqueConstraint(
            "id", "student_id", "reached", "incident_id", name="uq_guardian_contacts_id_student_reached"
        ),
        sa.Index("ix_guardian_contacts_student_at", "student_id", "contacted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("student_guardians.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardians.id"))
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(enum_column_type(tuple(CONTACT_METHODS), "method"))
    language: Mapped[str] = mapped_column(sa.String(8))
    reached: Mapped[bool] = mapped_column()
    purpose: Mapped[str] = mapped_column(enum_column_type(tuple(CONTACT_PURPOSES), "purpose"))
    # The incident the contact was about (a notice, or the call before a police escalation).
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # A notice sent from Caseflow (caseflow.notices): its kind, its fate and its e-mail.
    notice_kind: Mapped[str | None] = mapped_column(sa.String(20))
    delivery: Mapped[str | None] = mapped_column(enum_column_type(DELIVERY_STATES, "delivery"))
    outbox_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_messages.id"), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    guardian: Mapped[Guardian] = relationship()
    link: Mapped[StudentGuardian] = relationship()
    incident: Mapped[Incident | None] = relationship()
    recorded_by: Mapped[User] = relationship()

    @property
    def method_label(self) -> str:
        return CONTACT_METHODS[self.method]

    @property
    def purpose_label(self) -> str:
        return CONTACT_PURPOSES[self.purpose]
