"""Disciplinary actions: what the school decided for a student after an incident (a suspension,
an expulsion, a removal from class ...), in the Ed-Fi DisciplineDescriptor vocabulary so that
exports and the civil-rights counts need no translation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.labels import N_
from caseflow.people.models import Student

# Ed-Fi DisciplineDescriptor CodeValues (DS 5.2), the labels staff see.
DISCIPLINE_ACTIONS = {
    "Removal from Classroom": N_("Removal from classroom"),
    "In School Suspension": N_("In-school suspension"),
    "Out of School Suspension": N_("Out-of-school suspension"),
    "Expulsion": N_("Expulsion"),
    "Expulsion with Services": N_("Expulsion with services"),
    "Expulsion under Guns Free School Act": N_("Expulsion (Gun-Free Schools Act)"),
    "Expulsion under Guns Free School Act with Services": N_(
        "Expulsion (Gun-Free Schools Act) with services"
    ),
    "Community Service": N_("Community service"),
    "No action for incident": N_("No action"),
    "Other": N_("Other"),
}
SUSPENSIONS = frozenset({"In School Suspension", "Out of School Suspension"})


class DisciplineAction(db.Model):
    __tablename__ = "discipline_actions"
    __table_args__ = (
        sa.UniqueConstraint("district_id", "external_id"),
        # A retried request never stores the same action twice. (Imported actions are matched
        # on their source key instead: a source may hold two actions alike in all but their id.)
        sa.Index(
            "uq_discipline_actions_once",
            "incident_id",
            "student_id",
            "action_code",
            "action_date",
            unique=True,
            sqlite_where=sa.text("external_id IS NULL"),
            postgresql_where=sa.text("external_id IS NULL"),
        ),
        sa.CheckConstraint("length_days IS NULL OR length_days >= 0", name="length_not_negative"),
        sa.CheckConstraint(
            "actual_length_days IS NULL OR actual_length_days >= 0", name="actual_length_not_negative"
        ),
        sa.Index("ix_discipline_actions_school_date", "school_id", "action_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    action_code: Mapped[str] = mapped_column(enum_column_type(tuple(DISCIPLINE_ACTIONS), "action_code"))
    action_date: Mapped[date] = mapped_column(sa.Date)
    # In school days, as Ed-Fi measures them (decimal, two places).
    length_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    actual_length_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # The source's key when imported (Ed-Fi: identifier, student and date).
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: imported
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    student: Mapped[Student] = relationship()
    incident: Mapped[Incident | None] = relationship()

    @property
    def label(self) -> str:
        return DISCIPLINE_ACTIONS[self.action_code]
