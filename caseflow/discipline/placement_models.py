"""What the protections of 34 CFR 300.530-300.536 keep: the manifestation determination review
of a change of placement (its team, its two questions, its answer), the parents' notice of
procedural safeguards, the services given from the 11th removal day on, and the functional
behavioral assessment and behavior intervention plan due after a manifestation."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import Student

REVIEW_STATUSES = ("scheduled", "decided")
TEAM_ROLES = {
    "parent": N_("Parent or guardian"),
    "district_representative": N_("District representative"),
    "iep_team": N_("IEP team member"),
}
NOTICE_CHANNELS = {
    "in_person": N_("In person"),
    "mail": N_("Mail"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
}
FOLLOW_UP_KINDS = {"fba": N_("Functional behavioral assessment"), "bip": N_("Behavior intervention plan")}


class ManifestationReview(db.Model):
    """A manifestation determination review (34 CFR 300.530(e)) of one change of placement."""

    __tablename__ = "manifestation_reviews"
    __table_args__ = (
        sa.CheckConstraint("meets_on >= decision_day AND meets_on <= due_on", name="within_ten_days"),
        # Decided: both questions answered, the answer follows from them (yes to either is a
        # manifestation), and what follows is written down.
        sa.CheckConstraint(
            "(status = 'decided') = (caused_by_disability IS NOT NULL "
            "AND failed_to_implement_iep IS NOT NULL AND is_manifestation IS NOT NULL "
            "AND decided_on IS NOT NULL AND what_follows IS NOT NULL)",
            name="decided_complete",
        ),
        sa.CheckConstraint(
            "is_manifestation IS NULL "
            "OR is_manifestation = (caused_by_disability OR failed_to_implement_iep)",
            name="answer_follows",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    decision_day: Mapped[date] = mapped_column(sa.Date)
    due_on: Mapped[date] = mapped_column(sa.Date)
    meets_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(
        enum_column_type(REVIEW_STATUSES, "review_status"), default="scheduled"
    )
    caused_by_disability: Mapped[bool | None] = mapped_column()
    failed_to_implement_iep: Mapped[bool | None] = mapped_column()
    is_manifestation: Mapped[bool | None] = mapped_column()
    # Only with a weapon, drugs or serious bodily injury (34 CFR 300.530(g)).
    interim_setting_days: Mapped[int | None] = mapped_column(sa.SmallInteger)
    what_follows: Mapped[str | None] = mapped_column(sa.Text)
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    scheduled_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    team: Mapped[list[ManifestationTeamMember]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ManifestationTeamMember.id"
    )


class ManifestationTeamMember(db.Model):
    """One member of the review's team: a staff user or a guardian of the student."""

    __tablename__ = "manifestation_team_members"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (guardian_id IS NULL)", name="one_person"),
        sa.CheckConstraint("(role = 'parent') = (guardian_id IS NOT NULL)", name="parent_is_guardian"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("manifestation_reviews.id"), index=True)
    role: Mapped[str] = mapped_column(enum_column_type(tuple(TEAM_ROLES), "team_role"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id"))

    review: Mapped[ManifestationReview] = relationship(back_populates="team")


class SafeguardsNotice(db.Model):
    """The parents' procedural-safeguards notice, given on the day of the decision (300.530(h))."""

    __tablename__ = "safeguards_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("discipline_actions.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardians.id"))
    given_on: Mapped[date] = mapped_column(sa.Date)
    channel: Mapped[str] = mapped_column(enum_column_type(tuple(NOTICE_CHANNELS), "notice_channel"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RemovalService(db.Model):
    """Services provided to a removed student over a range of days (from the 11th day on)."""

    __tablename__ = "removal_services"
    __table_args__ = (sa.CheckConstraint("last_day >= first_day", name="days_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("discipline_actions.id"), index=True)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class BehaviorFollowUp(db.Model):
    """A functional behavioral assessment or behavior intervention plan due after a
    manifestation (300.530(f)), with its deadline; the scheduler reminds its owner."""

    __tablename__ = "behavior_follow_ups"
    __table_args__ = (sa.UniqueConstraint("review_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("manifestation_reviews.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(enum_column_type(tuple(FOLLOW_UP_KINDS), "follow_up_kind"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    done_on: Mapped[date | None] = mapped_column(sa.Date)

    student: Mapped[Student] = relationship()

    @property
    def label(self) -> str:
        return FOLLOW_UP_KINDS[self.kind]
