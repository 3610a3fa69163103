"""Incidents: what happened, to whom, what staff already did, and who reported it.

Codes (behaviors, locations, weapons, immediate actions) are the district's taxonomy in
workflows/ (see caseflow.incidents.taxonomy); they are checked when an incident is written.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.people.models import School, Student

# What a teacher sees of an incident's progress ("the closed loop").
INCIDENT_STATUSES = ("logged", "routed", "case_open", "resolved")
STUDENT_ROLES = ("responsible", "harmed", "witness", "other")
INJURY_LEVELS = ("none", "minor", "serious_bodily_injury")


class Incident(db.Model):
    __tablename__ = "incidents"
    __table_args__ = (
        # A threat is recorded in the student's exact words, or not at all.
        sa.CheckConstraint(
            "(threat_made AND threat_words IS NOT NULL) OR (NOT threat_made AND threat_words IS NULL)",
            name="threat_words",
        ),
        # A retried API request (same reporter, same Idempotency-Key) stores one incident.
        sa.UniqueConstraint("reported_by_id", "idempotency_key"),
        # An incident imported from another system, by its id there: importing again updates it.
        sa.UniqueConstraint("district_id", "external_id"),
        # The dashboards count by location from the index alone on PostgreSQL.
        sa.Index(
            "ix_incidents_school_occurred", "school_id", "occurred_at", postgresql_include=["location_code"]
        ),
        sa.Index("ix_incidents_reporter_reported", "reported_by_id", "reported_at"),
        # The incident list, newest first, reads a school's (or a district's) incidents in this
        # order from the index (caseflow.incidents.services.list_incidents).
        sa.Index(
            "ix_incidents_school_recent",
            "district_id",
            "school_id",
            "occurred_at",
            "id",
            postgresql_include=["status"],
        ),
        sa.Index("ix_incidents_district_recent", "district_id", "occurred_at", "id"),
        # What each behavior's copy of the school and the time refers to (IncidentBehavior).
        sa.Index("uq_incidents_id_school_occurred", "id", "school_id", "occurred_at", unique=True),
        # The few incidents another system reported to law enforcement, by time: the historical
        # referrals the reports count (caseflow.reports.referrals) without a scan of them all.
        sa.Index(
            "ix_incidents_reported_occurred",
            "occurred_at",
            postgresql_where=sa.text("reported_to_law_enforcement IS TRUE"),
            sqlite_where=sa.text("reported_to_law_enforcement IS TRUE"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location_code: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text)
    weapon_code: Mapped[str | None] = mapped_column(sa.String(80))
    injury: Mapped[str] = mapped_column(enum_column_type(INJURY_LEVELS, "injury"), default="none")
    threat_made: Mapped[bool] = mapped_column(default=False)
    threat_words: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(
        enum_column_type(INCIDENT_STATUSES, "status"), default="logged", index=True
    )
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    taxonomy_version: Mapped[str] = mapped_column(sa.String(80))
    # The one-time token of the web form that created it: a resubmitted page stores nothing new.
    form_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    # SHA-256 of the request body sent with the Idempotency-Key: the same key with another
    # body is refused rather than answered with the wrong incident.
    request_hash: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    # Set only on incidents imported from another system (its id there): they are history,
    # never triaged into cases or notifications.
    external_id: Mapped[str | None] = mapped_column(sa.String(80))
    # What the source of an imported incident records, kept as facts and exported as they came
    # (caseflow.exports.edfi): whether it was reported to law enforcement (a historical
    # referral of its responsible students in the civil-rights counts; importing it creates no
    # escalation) and the case number; the reporter's name; its Ed-Fi behaviors
    # ([{"behavior": "State Offense", "detailed": "Robbery" or None}], in the source's order).
    # Caseflow's own incidents leave them empty: their referrals are escalations.
    reported_to_law_enforcement: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    law_enforcement_case_number: Mapped[str | None] = mapped_column(sa.String(20))
    reporter_name: Mapped[str | None] = mapped_column(sa.String(75))
    edfi_behaviors: Mapped[list | None] = mapped_column(sa.JSON)

    school: Mapped[School] = relationship()
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    behaviors: Mapped[list[IncidentBehavior]] = relationship(
        back_populates="incident",
        foreign_keys="IncidentBehavior.incident_id",
        cascade="all, delete-orphan",
        order_by="IncidentBehavior.position",
    )
    students: Mapped[list[IncidentStudent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentStudent.id"
    )
    staff: Mapped[list[IncidentStaff]] = relationship(cascade="all, delete-orphan")
    actions: Mapped[list[IncidentAction]] = relationship(
        cascade="all, delete-orphan", order_by="IncidentAction.position"
    )
    addenda: Mapped[list[IncidentAddendum]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentAddendum.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def behavior_codes(self) -> list[str]:
        return [b.behavior_code for b in self.behaviors]

    @property
    def behavior_labels(self) -> list[str]:
        """The behaviors in words (a code the taxonomy no longer has is shown as it is)."""
        from caseflow.incidents.taxonomy import get_taxonomy

        known = get_taxonomy().behaviors
        return [known[c].label if c in known else c for c in self.behavior_codes]

    @property
    def action_codes(self) -> list[str]:
        return [a.action_code for a in self.actions]


class IncidentBehavior(db.Model):
    """A behavior recorded on an incident. Each row carries a copy of its incident's school and
    time, so that the dashboards count behaviors from one index, without reading the incidents:
    the database keeps the copy equal (a foreign key onto incidents (id, school_id,
    occurred_at), ON UPDATE CASCADE, so a corrected time or school follows), and the ORM fills
    it in when a behavior is stored (below)."""

    __tablename__ = "incident_behaviors"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["incident_id", "school_id", "occurred_at"],
            ["incidents.id", "incidents.school_id", "incidents.occurred_at"],
            onupdate="CASCADE",
            name="fk_incident_behaviors_incident_school_occurred",
        ),
        sa.Index(
            "ix_incident_behaviors_school_occurred_behavior", "school_id", "occurred_at", "behavior_code"
        ),
    )

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), primary_key=True)
    behavior_code: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    school_id: Mapped[int] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="behaviors", foreign_keys=[incident_id])


@sa.event.listens_for(IncidentBehavior, "before_insert")
@sa.event.listens_for(IncidentBehavior, "before_update")
def _copy_school_and_time(_mapper, _connection, behavior: IncidentBehavior) -> None:
    """A behavior stored (or put in place of a removed one with the same code) takes its
    incident's school and time; the incident is written first in the same flush."""
    incident = behavior.incident
    behavior.school_id, behavior.occurred_at = incident.school_id, incident.occurred_at


class IncidentStudent(db.Model):
    """A student involved in an incident, in one role."""

    __tablename__ = "incident_students"
    __table_args__ = (sa.UniqueConstraint("incident_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    role: Mapped[str] = mapped_column(enum_column_type(STUDENT_ROLES, "role"))
    # Was a counselor, psychologist or social worker working with this student at the time?
    with_clinician: Mapped[bool] = mapped_column(default=False)
    # An imported incident: the Ed-Fi behaviors the source gave this student (their
    # StudentDisciplineIncidentBehaviorAssociations), as Incident.edfi_behaviors.
    edfi_behaviors: Mapped[list | None] = mapped_column(sa.JSON)

    incident: Mapped[Incident] = relationship(back_populates="students")
    student: Mapped[Student] = relationship()


class IncidentStaff(db.Model):
    __tablename__ = "incident_staff"

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)

    user: Mapped[User] = relationship()


class IncidentAction(db.Model):
    """Something staff already did on the spot (redirected, called a parent …)."""

    __tablename__ = "incident_actions"

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), primary_key=True)
    action_code: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)


class IncidentAddendum(db.Model):
    """A correction or addition made after the incident was routed: never a silent edit."""

    __tablename__ = "incident_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    incident: Mapped[Incident] = relationship(back_populates="addenda")
    author: Mapped[User] = relationship()
