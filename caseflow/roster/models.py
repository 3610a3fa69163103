"""Roster sources, sync runs, and the history of each student's enrolments and programs.

History rows are written, closed (an end date) and never deleted: the reports count each
student where, and in the group, they were when something happened.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import School, Student

SOURCE_KINDS = ("oneroster_rest", "drop_folder")
SOURCE_KIND_LABELS = {
    "oneroster_rest": N_("OneRoster 1.1/1.2 REST provider"),
    "drop_folder": N_("Drop folder (OneRoster CSV zips or Ed-Fi XML interchanges)"),
}
SYNC_KINDS = ("full", "delta")
SYNC_MODES = ("sync", "preview")
SYNC_TRIGGERS = ("schedule", "manual", "command")
# running; ok: kept; preview: a dry run that kept nothing; failed: the feed could not be read
# (nothing changed); stopped: the safety stop refused it (nothing changed).
SYNC_OUTCOMES = ("queued", "running", "ok", "preview", "failed", "stopped")
PROGRAMS = {"idea": "IDEA", "section_504": "Section 504", "english_learner": "English learner"}
# The Student flag each program mirrors.
PROGRAM_FLAGS = {"idea": "idea_eligible", "section_504": "section_504", "english_learner": "english_learner"}


class RosterSource(db.Model):
    """Where a district's roster comes from; one per district. The OAuth client secret is
    never stored: `secret_env` names the environment variable that holds it."""

    __tablename__ = "roster_sources"
    __table_args__ = (
        sa.CheckConstraint("safety_share > 0 AND safety_share <= 1", name="safety_share"),
        sa.CheckConstraint("full_sync_weekday BETWEEN 0 AND 6", name="full_sync_weekday"),
        sa.CheckConstraint(
            "(kind = 'oneroster_rest' AND base_url IS NOT NULL AND token_url IS NOT NULL "
            "AND client_id IS NOT NULL AND secret_env IS NOT NULL) "
            "OR (kind = 'drop_folder' AND drop_path IS NOT NULL)",
            name="kind_settings",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), unique=True)
    kind: Mapped[str] = mapped_column(enum_column_type(SOURCE_KINDS, "kind"))
    base_url: Mapped[str | None] = mapped_column(sa.String(500))
    token_url: Mapped[str | None] = mapped_column(sa.String(500))
    client_id: Mapped[str | None] = mapped_column(sa.String(200))
    secret_env: Mapped[str | None] = mapped_column(sa.String(100))
    drop_path: Mapped[str | None] = mapped_column(sa.String(500))
    # The provider supports filter=dateLastModified>...: nightly deltas, a full sync weekly.
    delta: Mapped[bool] = mapped_column(default=True)
    full_sync_weekday: Mapped[int] = mapped_column(sa.SmallInteger, default=6)  # Monday 0 ... Sunday 6
    # The safety stop: a sync closing or deactivating more than this share of the district's
    # people changes nothing.
    safety_share: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4), default=Decimal("0.05"))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)


class SyncRun(db.Model):
    """One sync or preview of a district's roster, whatever its outcome."""

    __tablename__ = "roster_sync_runs"
    __table_args__ = (sa.Index("ix_roster_sync_runs_district_started", "district_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    source_kind: Mapped[str] = mapped_column(enum_column_type(SOURCE_KINDS, "source_kind"))
    source: Mapped[str] = mapped_column(sa.String(500))  # the URL or file read
    kind: Mapped[str] = mapped_column(enum_column_type(SYNC_KINDS, "sync_kind"))
    mode: Mapped[str] = mapped_column(enum_column_type(SYNC_MODES, "mode"))
    trigger: Mapped[str] = mapped_column(enum_column_type(SYNC_TRIGGERS, "trigger"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(enum_column_type(SYNC_OUTCOMES, "sync_outcome"))
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it failed or stopped
    # Changes since this time were asked for (a delta).
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"created": n, "updated": n, "unchanged": n, "closed": n, "deactivated": n, "rejected": n}
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # [{"kind", "file", "where", "reason"}]
    rejects: Mapped[list] = mapped_column(sa.JSON, default=list)
    # What was (or, for a preview, would be) created, changed, closed: {kind: [keys]}, bounded.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Enrolment(db.Model):
    """A student's enrolment at a school from `begin_date` to `end_date` (the last day, both
    included). No begin date: enrolled since before Caseflow's records; no end date: still
    enrolled."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR begin_date IS NULL OR end_date >= begin_date", name="dates"),
        sa.Index("ix_enrolments_student", "student_id", "end_date"),
        sa.Index("ix_enrolments_school_dates", "school_id", "begin_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    begin_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    student: Mapped[Student] = relationship()
    school: Mapped[School] = relationship()


class ProgramParticipation(db.Model):
    """A student's participation in IDEA, Section 504 or English-learner services, with the
    same date rules as an enrolment."""

    __tablename__ = "program_participations"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR begin_date IS NULL OR end_date >= begin_date", name="dates"),
        sa.Index("ix_program_participations_student", "student_id", "program", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    program: Mapped[str] = mapped_column(enum_column_type(tuple(PROGRAMS), "program"))
    begin_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    student: Mapped[Student] = relationship()
