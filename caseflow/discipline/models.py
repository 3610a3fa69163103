"""Disciplinary actions: what the school decided for a student after an incident (a suspension,
an expulsion, a removal from class ...), in the Ed-Fi DisciplineDescriptor vocabulary so that
exports and the civil-rights counts need no translation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.labels import N_, shown_reasons
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
# Kinds Caseflow keeps beyond Ed-Fi's vocabulary (exported as "Other").
LOCAL_ACTIONS = {
    "Removal to Alternative Setting": N_("Removal to an alternative setting"),
    "Interim Alternative Educational Setting": N_(
        "Interim alternative educational setting (45 days at most)"
    ),
}
ACTION_LABELS = {**DISCIPLINE_ACTIONS, **LOCAL_ACTIONS}
SUSPENSIONS = frozenset({"In School Suspension", "Out of School Suspension"})
# Exclusions: the student is sent out of school. These pass the exclusion gate (gate.py).
EXCLUSIONS = (
    "Out of School Suspension",
    "Expulsion",
    "Expulsion with Services",
    "Expulsion under Guns Free School Act",
    "Expulsion under Guns Free School Act with Services",
)
APPROVALS = ("pending", "approved", "denied")
_EXCLUSION_SQL = ", ".join(f"'{c}'" for c in EXCLUSIONS)
# Removals from the student's placement: their school days count toward the 10-day line of
# 34 CFR 300.530 (a removal from one class period does not).
REMOVALS = frozenset(
    {
        "In School Suspension",
        "Out of School Suspension",
        "Expulsion",
        "Expulsion with Services",
        "Expulsion under Guns Free School Act",
        "Expulsion under Guns Free School Act with Services",
        "Removal to Alternative Setting",
        "Interim Alternative Educational Setting",
    }
)
# in_effect: served or being served; provisional: a change of placement waiting for its
# manifestation determination review to be scheduled; withdrawn: never served (or only the
# actual_length_days already served); ended: stopped early, the served part in actual_length_days.
ACTION_STATUSES = ("in_effect", "provisional", "withdrawn", "ended")
PLACEMENT_REASONS = ("cumulative", "consecutive", "pattern", "special_circumstances")


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
        # The exclusion gate, in the database too: an exclusion recorded in Caseflow (not
        # imported, not history from before the gate) names the supports already tried (or why
        # none fit) and why an in-school alternative does not fit.
        sa.CheckConstraint(
            f"external_id IS NOT NULL OR historical OR action_code NOT IN ({_EXCLUSION_SQL}) OR "
            "((supports_tried IS NOT NULL OR no_supports_reason IS NOT NULL) "
            "AND in_school_alternative_reason IS NOT NULL)",
            name="exclusion_answers",
        ),
        # A second administrator is a different person; a decision names who took it.
        sa.CheckConstraint(
            "approved_by_id IS NULL OR recorded_by_id IS NULL OR approved_by_id <> recorded_by_id",
            name="approver_not_recorder",
        ),
        sa.CheckConstraint(
            "(approval IS NULL AND approved_by_id IS NULL) "
            "OR (approval = 'pending' AND approved_by_id IS NULL) "
            "OR (approval IN ('approved', 'denied') "
            "AND approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name="approval_decided_by",
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= action_date", name="end_after_start"),
        # A change of placement for a student with a disability (34 CFR 300.536) cannot be in
        # effect, or have ended, without its manifestation determination review scheduled.
        sa.CheckConstraint(
            "NOT change_of_placement OR status IN ('provisional', 'withdrawn') "
            "OR manifestation_review_id IS NOT NULL",
            name="placement_change_reviewed",
        ),
        sa.CheckConstraint(
            "change_of_placement = (placement_reason IS NOT NULL) "
            "AND (NOT change_of_placement OR review_due_on IS NOT NULL)",
            name="placement_change_explained",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    action_code: Mapped[str] = mapped_column(enum_column_type(tuple(ACTION_LABELS), "action_code"))
    action_date: Mapped[date] = mapped_column(sa.Date)
    # In school days, as Ed-Fi measures them (decimal, two places).
    length_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    actual_length_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # The source's key when imported (Ed-Fi: identifier, student and date).
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: imported
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Recorded before the exclusion gate existed (or the demo district's past): never re-checked.
    historical: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The exclusion gate's answers (gate.py). supports_tried: ids of the student's intervention
    # plans tried before; or no_supports_reason.
    supports_tried: Mapped[list | None] = mapped_column(sa.JSON)
    no_supports_reason: Mapped[str | None] = mapped_column(sa.Text)
    in_school_alternative_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Why a consequence harsher than three quarters of comparable decisions (consistency.py).
    harsher_reason: Mapped[str | None] = mapped_column(sa.Text)
    gate_version: Mapped[str | None] = mapped_column(sa.String(100))
    # None: no second administrator needed. pending: waits for one and does not take effect.
    approval: Mapped[str | None] = mapped_column(enum_column_type(APPROVALS, "approval"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last day of the removal, when given as dates (school days between are what count).
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(
        enum_column_type(ACTION_STATUSES, "action_status"), default="in_effect", server_default="in_effect"
    )
    change_of_placement: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    placement_reason: Mapped[str | None] = mapped_column(
        enum_column_type(PLACEMENT_REASONS, "placement_reason")
    )
    # The administrator's answers to the pattern questions (34 CFR 300.536(a)(2)).
    pattern_answers: Mapped[dict | None] = mapped_column(sa.JSON)
    # The last day the manifestation determination review may be held (10 school days).
    review_due_on: Mapped[date | None] = mapped_column(sa.Date)
    manifestation_review_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("manifestation_reviews.id"), index=True
    )

    student: Mapped[Student] = relationship()
    incident: Mapped[Incident | None] = relationship()

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action_code]

    @property
    def is_removal(self) -> bool:
        return self.action_code in REMOVALS

    @property
    def takes_effect(self) -> bool:
        """An exclusion awaiting (or denied) a second administrator's approval does not."""
        return self.approval in (None, "approved")

    @classmethod
    def in_effect(cls):
        """SQL: the actions that take effect."""
        return sa.or_(cls.approval.is_(None), cls.approval == "approved")


class ExclusionRefusal(db.Model):
    """An attempt the exclusion gate refused (recording an exclusion, or approving one), with
    every reason, kept for the audit. Kept even though nothing else of the attempt was stored."""

    __tablename__ = "exclusion_refusals"
    __table_args__ = (sa.Index("ix_exclusion_refusals_school_at", "school_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("discipline_actions.id"))
    stage: Mapped[str] = mapped_column(enum_column_type(("record", "approval"), "stage"))
    action_code: Mapped[str] = mapped_column(sa.String(60))
    length_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    reasons: Mapped[list] = mapped_column(sa.JSON)  # sentences, one per reason
    fields: Mapped[dict] = mapped_column(sa.JSON)  # the same reasons by form field
    # The reasons as messages (caseflow.labels.Message.as_json), worded in the reader's language
    # on a page; None for a refusal stored before they were kept.
    messages: Mapped[list | None] = mapped_column(sa.JSON)

    student: Mapped[Student] = relationship()
    actor: Mapped[User] = relationship()

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action_code, self.action_code)

    @property
    def shown_reasons(self) -> list:
        """The reasons in the reader's language (an older refusal's as they were written)."""
        return shown_reasons(self.messages, self.reasons)
