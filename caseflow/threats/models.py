"""Structured threat assessments, following the five steps of the Comprehensive School
Threat Assessment Guidelines (CSTAG): evaluate the threat, try to resolve it as transient,
respond to a substantive threat, a safety evaluation for a very serious one, a safety plan.

The database refuses the states the guidelines rule out, whatever code writes them (see the
CHECK constraints below); the services in threats/services.py give the reasons in words.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import Student

THREAT_TYPES = {
    "not_a_threat": N_("Not a threat (handled as another behavior)"),
    "transient": N_("Transient"),
    "substantive": N_("Substantive"),
}
SEVERITIES = {"serious": N_("Serious substantive"), "very_serious": N_("Very serious substantive")}
TEAM_CAPACITIES = {
    "administrator": N_("School administrator"),
    "mental_health": N_("Mental-health professional"),
    "special_education": N_("Special-education member"),
    "other": N_("Other member"),
}
STATEMENT_SOURCES = {"student": N_("The student"), "witness": N_("A witness"), "staff": N_("A staff member")}
RESOLUTIONS = {
    "retracted": N_("The student retracted the threat"),
    "apologized": N_("The student apologized, showing no intent to harm"),
    "explained": N_("The student explained it, showing no intent to harm"),
}
PLAN_REVIEWS = {"iep": N_("IEP team review"), "section_504": N_("Section 504 team review")}


class ThreatAssessment(db.Model):
    __tablename__ = "threat_assessments"
    __table_args__ = (
        sa.CheckConstraint("(threat_type IS NULL) = (classified_at IS NULL)", name="classified_when_typed"),
        # Step 2: a transient threat has a clear resolution, or it is not transient.
        sa.CheckConstraint(
            "threat_type IS NULL OR threat_type <> 'transient' "
            "OR (resolution_kind IS NOT NULL AND resolution IS NOT NULL)",
            name="transient_resolved",
        ),
        # Step 3: only a substantive threat has a severity.
        sa.CheckConstraint(
            "severity IS NULL OR COALESCE(threat_type, '') = 'substantive'", name="severity_substantive"
        ),
        # Step 4: law-enforcement consultation is recommended exactly for very serious threats.
        sa.CheckConstraint(
            "law_enforcement_consultation = (COALESCE(severity, '') = 'very_serious')",
            name="consultation_very_serious",
        ),
        sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at"),
        # Closing needs a classification; a substantive threat needs its severity, protective
        # actions and a written safety plan; a very serious one both evaluations.
        sa.CheckConstraint("status = 'open' OR threat_type IS NOT NULL", name="closed_classified"),
        sa.CheckConstraint(
            "status = 'open' OR threat_type <> 'substantive' OR "
            "(severity IS NOT NULL AND protective_actions IS NOT NULL AND safety_plan IS NOT NULL)",
            name="closed_substantive_planned",
        ),
        sa.CheckConstraint(
            "status = 'open' OR COALESCE(severity, '') <> 'very_serious' OR "
            "(safety_evaluation IS NOT NULL AND mental_health_evaluation IS NOT NULL)",
            name="closed_very_serious_evaluated",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"))
    status: Mapped[str] = mapped_column(enum_column_type(("open", "closed"), "status"), default="open")
    # When the threat reached the team, and the end of that school day: when it must start.
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    must_start_by: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Step 1 and 2.
    threat_type: Mapped[str | None] = mapped_column(enum_column_type(tuple(THREAT_TYPES), "threat_type"))
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    classified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    classification_reason: Mapped[str | None] = mapped_column(sa.Text)
    resolution_kind: Mapped[str | None] = mapped_column(enum_column_type(tuple(RESOLUTIONS), "resolution"))
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    # Step 3.
    severity: Mapped[str | None] = mapped_column(enum_column_type(tuple(SEVERITIES), "severity"))
    protective_actions: Mapped[str | None] = mapped_column(sa.Text)
    no_identified_victim: Mapped[bool] = mapped_column(default=False)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Step 4 (very serious only).
    law_enforcement_consultation: Mapped[bool] = mapped_column(default=False)
    safety_evaluation: Mapped[str | None] = mapped_column(sa.Text)
    safety_evaluation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safety_evaluation_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    mental_health_evaluation: Mapped[str | None] = mapped_column(sa.Text)
    mental_health_evaluation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mental_health_evaluation_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Step 5.
    safety_plan: Mapped[str | None] = mapped_column(sa.Text)
    safety_plan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safety_plan_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    plan_review_kind: Mapped[str | None] = mapped_column(enum_column_type(tuple(PLAN_REVIEWS), "plan_review"))
    plan_review: Mapped[str | None] = mapped_column(sa.Text)
    plan_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_review_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    close_summary: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)

    student: Mapped[Student] = relationship()
    team: Mapped[list[ThreatTeamMember]] = relationship(
        cascade="all, delete-orphan", order_by="ThreatTeamMember.id"
    )
    statements: Mapped[list[ThreatStatement]] = relationship(
        cascade="all, delete-orphan", order_by="ThreatStatement.id"
    )
    victims: Mapped[list[ThreatVictim]] = relationship(
        cascade="all, delete-orphan", order_by="ThreatVictim.id"
    )
    monitoring: Mapped[list[MonitoringDate]] = relationship(
        cascade="all, delete-orphan", order_by="MonitoringDate.due_on"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def classification(self) -> str | None:
        """transient, serious, very_serious, not_a_threat, substantive (severity not yet set) or None."""
        if self.threat_type == "substantive" and self.severity:
            return self.severity
        return self.threat_type


class ThreatTeamMember(db.Model):
    __tablename__ = "threat_team_members"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "user_id", "capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("threat_assessments.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    capacity: Mapped[str] = mapped_column(enum_column_type(tuple(TEAM_CAPACITIES), "capacity"))
    added_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ThreatStatement(db.Model):
    """Step 1: the exact words and behavior, and their context, from one source."""

    __tablename__ = "threat_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("threat_assessments.id"), index=True)
    source: Mapped[str] = mapped_column(enum_column_type(tuple(STATEMENT_SOURCES), "source"))
    speaker: Mapped[str] = mapped_column(sa.String(200))
    exact_words: Mapped[str] = mapped_column(sa.Text)
    context: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ThreatVictim(db.Model):
    """Step 3: an intended victim, and how they (a student: their guardians) were warned."""

    __tablename__ = "threat_victims"
    __table_args__ = (
        sa.CheckConstraint(
            "victim_student_id IS NULL OR warned_note IS NULL", name="student_warned_by_contact"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("threat_assessments.id"), index=True)
    victim_student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("students.id"))
    description: Mapped[str] = mapped_column(sa.String(300))
    # A student's guardians are warned through the guardian contact log.
    warning_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardian_contacts.id"))
    # Anyone else (a staff member, an adult) is warned in person: when, by whom, how.
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    warned_note: Mapped[str | None] = mapped_column(sa.Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    victim_student: Mapped[Student | None] = relationship()

    @property
    def warned(self) -> bool:
        return self.warned_at is not None


class MonitoringDate(db.Model):
    """Step 5: a date on which the safety plan is reviewed, and what was found."""

    __tablename__ = "threat_monitoring_dates"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("threat_assessments.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(sa.Text)
