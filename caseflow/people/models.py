"""District, schools, students, guardians and the links between students and guardians."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.people.codes import (
    GRADES,
    GUARDIAN_RELATIONSHIPS,
    LEGAL_RESTRICTIONS,
    RACE_ETHNICITY,
    SEX,
)


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="America/Chicago")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    schools: Mapped[list[School]] = relationship(back_populates="district", order_by="School.name")


class School(db.Model):
    __tablename__ = "schools"
    __table_args__ = (sa.UniqueConstraint("district_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    # IANA zone name; times are stored in UTC and shown in this zone.
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    lowest_grade: Mapped[str | None] = mapped_column(enum_column_type(GRADES, "grade_low"))
    highest_grade: Mapped[str | None] = mapped_column(enum_column_type(GRADES, "grade_high"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    district: Mapped[District] = relationship(back_populates="schools")

    def __repr__(self) -> str:
        return f"<School {self.code} {self.name}>"


class Student(db.Model):
    __tablename__ = "students"
    __table_args__ = (
        sa.UniqueConstraint("district_id", "local_id"),
        sa.CheckConstraint("mtss_tier IN (1, 2, 3)", name="mtss_tier"),
        sa.Index("ix_students_school_last_first", "school_id", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    local_id: Mapped[str] = mapped_column(sa.String(40))  # unique in the district
    first_name: Mapped[str] = mapped_column(sa.String(100))
    middle_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    preferred_name: Mapped[str | None] = mapped_column(sa.String(100))
    # Every name folded for search, written on each insert and update (caseflow.people.names).
    search_name: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    grade: Mapped[str | None] = mapped_column(enum_column_type(GRADES, "grade"))
    # None means unknown: a demographic that no source recorded is never guessed.
    race_ethnicity: Mapped[str | None] = mapped_column(
        enum_column_type(tuple(RACE_ETHNICITY), "race_ethnicity")
    )
    sex: Mapped[str | None] = mapped_column(enum_column_type(tuple(SEX), "sex"))
    idea_eligible: Mapped[bool] = mapped_column(default=False)
    section_504: Mapped[bool] = mapped_column(default=False)
    english_learner: Mapped[bool] = mapped_column(default=False)
    mtss_tier: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    school: Mapped[School] = relationship()
    guardian_links: Mapped[list[StudentGuardian]] = relationship(
        back_populates="student", cascade="all, delete-orphan", order_by="StudentGuardian.id"
    )

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    @property
    def sort_name(self) -> str:
        return f"{self.last_name}, {self.preferred_name or self.first_name}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __repr__(self) -> str:
        return f"<Student {self.local_id}>"


class Guardian(db.Model):
    __tablename__ = "guardians"
    __table_args__ = (sa.UniqueConstraint("district_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(60))  # id in the source system
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    preferred_language: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    student_links: Mapped[list[StudentGuardian]] = relationship(back_populates="guardian")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class StudentGuardian(db.Model):
    """A guardian's relationship to one student, with what the school may do about contact."""

    __tablename__ = "student_guardians"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "guardian_id"),
        # A guardian under a no-contact order can never be the one the school calls first.
        sa.CheckConstraint(
            "NOT (is_primary_contact AND legal_restriction = 'no_contact')",
            name="no_contact_not_primary",
        ),
        # At most one primary contact per student.
        sa.Index(
            "uq_student_guardians_one_primary",
            "student_id",
            unique=True,
            sqlite_where=sa.text("is_primary_contact"),
            postgresql_where=sa.text("is_primary_contact"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardians.id"), index=True)
    relationship_code: Mapped[str] = mapped_column(
        "relationship", enum_column_type(tuple(GUARDIAN_RELATIONSHIPS), "relationship")
    )
    is_primary_contact: Mapped[bool] = mapped_column(default=False)
    lives_with: Mapped[bool] = mapped_column(default=False)
    legal_restriction: Mapped[str] = mapped_column(
        enum_column_type(tuple(LEGAL_RESTRICTIONS), "legal_restriction"), default="none"
    )
    restriction_note: Mapped[str | None] = mapped_column(sa.Text)

    student: Mapped[Student] = relationship(back_populates="guardian_links")
    guardian: Mapped[Guardian] = relationship(back_populates="student_links")

    @property
    def may_be_contacted(self) -> bool:
        """False when a court order forbids contact: such a guardian is never contacted."""
        return self.legal_restriction != "no_contact"

    @property
    def relationship_label(self) -> str:
        return GUARDIAN_RELATIONSHIPS[self.relationship_code]
