"""Triage decisions: for each student of an incident, the tier, routes and why."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.people.models import Student

DECISION_KINDS = ("rules", "override")
PRIORITIES = ("routine", "soon", "urgent")


class TriageDecision(db.Model):
    """A decision is never changed: an override or a re-triage is a new row replacing it."""

    __tablename__ = "triage_decisions"
    __table_args__ = (
        sa.CheckConstraint("tier IN (1, 2, 3)", name="tier"),
        # An override is a person's decision: it names the person and their written reason.
        sa.CheckConstraint(
            "kind <> 'override' OR "
            "(decided_by_id IS NOT NULL AND reason IS NOT NULL AND replaces_id IS NOT NULL)",
            name="override_has_author_and_reason",
        ),
        # One current decision per student per incident.
        sa.Index(
            "uq_triage_decisions_current",
            "incident_id",
            "student_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(enum_column_type(DECISION_KINDS, "kind"))
    tier: Mapped[int] = mapped_column(sa.SmallInteger)
    routes: Mapped[list] = mapped_column(sa.JSON, default=list)
    priority: Mapped[str] = mapped_column(enum_column_type(PRIORITIES, "priority"))
    # The rules that matched, each with the facts and values it read (see caseflow.rules.engine).
    matches: Mapped[list] = mapped_column(sa.JSON, default=list)
    notes: Mapped[list] = mapped_column(sa.JSON, default=list)
    facts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ruleset_version: Mapped[str | None] = mapped_column(sa.String(80))
    ruleset_hash: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("triage_decisions.id"))
    is_current: Mapped[bool] = mapped_column(default=True)

    student: Mapped[Student] = relationship()
    decided_by: Mapped[User | None] = relationship()
