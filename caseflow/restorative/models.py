"""Restorative conferences: pre-meetings and each party's voluntary consent, the conference,
an agreement of items with owners and due dates, follow-up, and an outcome."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.labels import N_

PROCESS_STATUSES = {
    "preparing": N_("Preparing (pre-meetings)"),
    "following_up": N_("Agreement in follow-up"),
    "closed": N_("Closed"),
}
PROCESS_OUTCOMES = {
    "completed": N_("Agreement completed"),
    "failed": N_("Agreement failed: back to the team"),
    "declined": N_("A party declined: back to the team"),
    "withdrawn": N_("Withdrawn"),
}
PARTY_ROLES = {
    "harmed": N_("Person harmed"),
    "responsible": N_("Person responsible"),
    "supporter": N_("Supporter"),
}
CONSENTS = {"given": N_("Agreed to take part"), "declined": N_("Declined to take part")}
ITEM_STATUSES = {"open": N_("Open"), "done": N_("Done"), "failed": N_("Not done")}


class RestorativeProcess(db.Model):
    __tablename__ = "restorative_processes"
    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'closed') = "
            "(outcome IS NOT NULL AND outcome_note IS NOT NULL AND closed_at IS NOT NULL)",
            name="closed_has_outcome",
        ),
        sa.CheckConstraint(
            "status = 'preparing' OR outcome IN ('declined', 'withdrawn') OR conference_at IS NOT NULL",
            name="agreement_after_conference",
        ),
        # One process under way per case at a time.
        sa.Index(
            "uq_restorative_processes_open_case",
            "case_id",
            unique=True,
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        ),
        # What the links to cases refer to, so that they follow the process's status.
        sa.Index("uq_restorative_processes_id_status", "id", "status", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"))
    harm: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(
        enum_column_type(tuple(PROCESS_STATUSES), "status"), default="preparing"
    )
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    conference_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    facilitator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    conference_summary: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(enum_column_type(tuple(PROCESS_OUTCOMES), "outcome"))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    facilitator: Mapped[User | None] = relationship(foreign_keys=[facilitator_id])
    parties: Mapped[list[RestorativeParty]] = relationship(
        cascade="all, delete-orphan", order_by="RestorativeParty.id"
    )
    items: Mapped[list[AgreementItem]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementItem.id"
    )
    links: Mapped[list[RestorativeProcessCase]] = relationship(
        cascade="all, delete-orphan", order_by="RestorativeProcessCase.case_id", passive_updates=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def case_ids(self) -> list[int]:
        """Every student's case the process serves (the conflict's cases)."""
        return [link.case_id for link in self.links]


class RestorativeProcessCase(db.Model):
    """A case a restorative process serves: one process per conflict (incident), linked from
    each involved student's case. A case is in at most one process under way: the link carries
    the process's status (kept equal by the database, ON UPDATE CASCADE) and a partial unique
    index allows one open link per case."""

    __tablename__ = "restorative_process_cases"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["process_id", "process_status"],
            ["restorative_processes.id", "restorative_processes.status"],
            onupdate="CASCADE",
            name="fk_restorative_process_cases_process",
        ),
        sa.Index(
            "uq_restorative_process_cases_open_case",
            "case_id",
            unique=True,
            sqlite_where=sa.text("process_status <> 'closed'"),
            postgresql_where=sa.text("process_status <> 'closed'"),
        ),
    )

    process_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True, index=True)
    process_status: Mapped[str] = mapped_column(sa.String(12))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RestorativeParty(db.Model):
    """Someone taking part: the person harmed, the person responsible, or a supporter."""

    __tablename__ = "restorative_parties"
    __table_args__ = (
        sa.CheckConstraint("consent IS NULL OR pre_meeting_at IS NOT NULL", name="consent_at_pre_meeting"),
        sa.CheckConstraint("NOT attended OR consent = 'given'", name="attended_with_consent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("restorative_processes.id"), index=True)
    role: Mapped[str] = mapped_column(enum_column_type(tuple(PARTY_ROLES), "role"))
    name: Mapped[str] = mapped_column(sa.String(200))
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("students.id"))
    pre_meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pre_meeting_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    pre_meeting_note: Mapped[str | None] = mapped_column(sa.Text)
    consent: Mapped[str | None] = mapped_column(enum_column_type(tuple(CONSENTS), "consent"))
    attended: Mapped[bool] = mapped_column(default=False)

    @property
    def role_label(self) -> str:
        return PARTY_ROLES[self.role]


class AgreementItem(db.Model):
    """One thing the agreement says someone will do, by when, and whether it was done."""

    __tablename__ = "agreement_items"
    __table_args__ = (
        sa.CheckConstraint("(status = 'open') = (settled_at IS NULL)", name="settled_when_not_open"),
        sa.CheckConstraint("status <> 'failed' OR status_note IS NOT NULL", name="failed_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("restorative_processes.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_party_id: Mapped[int] = mapped_column(sa.ForeignKey("restorative_parties.id"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(enum_column_type(tuple(ITEM_STATUSES), "status"), default="open")
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    owner: Mapped[RestorativeParty] = relationship()
