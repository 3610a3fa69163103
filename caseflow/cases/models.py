"""Referral cases and the incidents behind them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.labels import Message, as_json, shown_message
from caseflow.people.models import School, Student

# The kinds of case: the routes of triage that are handed to a person of a role.
# (teacher_follow_up stays with the teacher in class and opens no case.)
CASE_KINDS = (
    "counselor",
    "social_worker",
    "psychologist",
    "restorative_adviser",
    "threat_team",
    "administrator",
)
CASE_STATUSES = ("new", "assigned", "active", "monitoring", "closed")
PRIORITIES = ("routine", "soon", "urgent")
CASE_OUTCOMES = ("goals_met", "improved", "referred_out", "no_longer_needed", "moved", "declined", "other")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint("tier IN (1, 2, 3)", name="tier"),
        # A closed case has its outcome and a note; an open one has neither.
        sa.CheckConstraint(
            "(status = 'closed') = "
            "(outcome IS NOT NULL AND close_note IS NOT NULL AND closed_at IS NOT NULL)",
            name="closed_has_outcome",
        ),
        # A case that is assigned or further along has an owner.
        sa.CheckConstraint("status = 'new' OR status = 'closed' OR assignee_id IS NOT NULL", name="owner"),
        # One open case of each kind per student: a new route joins it.
        sa.Index(
            "uq_cases_open_kind",
            "student_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        ),
        sa.Index("ix_cases_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(enum_column_type(CASE_KINDS, "kind"))
    status: Mapped[str] = mapped_column(enum_column_type(CASE_STATUSES, "status"), default="new")
    tier: Mapped[int] = mapped_column(sa.SmallInteger)
    priority: Mapped[str] = mapped_column(enum_column_type(PRIORITIES, "priority"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Why the case waits in the administrators' queue (nobody of the role serves the school).
    queue_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # The same reason as a message (caseflow.labels.Message.as_json), shown in the reader's
    # language; None when there is none, or for a case queued before messages were kept.
    queue_message: Mapped[dict | None] = mapped_column(sa.JSON)
    source: Mapped[str] = mapped_column(enum_column_type(("triage", "referral"), "source"))
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(enum_column_type(CASE_OUTCOMES, "outcome"))
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)

    school: Mapped[School] = relationship()
    student: Mapped[Student] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    incidents: Mapped[list[CaseIncident]] = relationship(back_populates="case", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def queue_for(self, reason) -> None:
        """Wait in the administrators' queue because of `reason` (a Message), or leave it (None)."""
        self.queue_reason = str(reason)[:300] if reason else None
        self.queue_message = as_json(reason) if isinstance(reason, Message) else None

    @property
    def shown_queue_reason(self):
        """Why the case waits, in the reader's language (an older case's reason as written)."""
        if self.queue_message is not None:
            return shown_message(self.queue_message)
        return shown_message(self.queue_reason) if self.queue_reason else None


class CaseIncident(db.Model):
    """An incident (and the decision routing it) behind a case."""

    __tablename__ = "case_incidents"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), primary_key=True, index=True)
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("triage_decisions.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="incidents")


NOTE_LEVELS = ("team", "clinical", "restricted")


class CaseNote(db.Model):
    """A note on a case. `team`: everyone who may see the case; `clinical`: counselors,
    psychologists and social workers; `restricted`: the author and the people named."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    level: Mapped[str] = mapped_column(enum_column_type(NOTE_LEVELS, "level"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    author: Mapped[User] = relationship()
    readers: Mapped[list[CaseNoteReader]] = relationship(cascade="all, delete-orphan")


class CaseNoteReader(db.Model):
    """Someone the author named as a reader of a restricted note."""

    __tablename__ = "case_note_readers"

    note_id: Mapped[int] = mapped_column(sa.ForeignKey("case_notes.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)


class InterventionPlan(db.Model):
    """What will be done for the student, toward what goal, how often, until when, by whom."""

    __tablename__ = "intervention_plans"
    __table_args__ = (
        sa.CheckConstraint("tier IN (1, 2, 3)", name="tier"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    type_code: Mapped[str] = mapped_column(sa.String(60))
    tier: Mapped[int] = mapped_column(sa.SmallInteger)
    goal: Mapped[str] = mapped_column(sa.Text)
    frequency: Mapped[str] = mapped_column(sa.String(100))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    owner: Mapped[User] = relationship()
    check_ins: Mapped[list[CheckIn]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CheckIn.day"
    )


class CheckIn(db.Model):
    """Progress monitoring: on a day, how the student did against the plan's goal (0 to 4)."""

    __tablename__ = "check_ins"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 0 AND 4", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("intervention_plans.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    plan: Mapped[InterventionPlan] = relationship(back_populates="check_ins")
