"""Staff users, their roles and schools, and personal access tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.permissions import Permission, Role, permissions_for
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.people.models import District, School

user_schools = sa.Table(
    "user_schools",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("school_id", sa.ForeignKey("schools.id"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("district_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    # The staff member's id in the source system (Ed-Fi StaffUniqueId, OneRoster sourcedId).
    external_id: Mapped[str | None] = mapped_column(sa.String(60))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(sa.String(200))
    # The name folded for search, written on each insert and update (caseflow.people.names).
    search_name: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # District-level staff (district administrators, auditors, system administrators)
    # serve every school of the district.
    district_wide: Mapped[bool] = mapped_column(default=False)
    # Spoken languages (ISO 639-1, comma-separated), for matching guardians.
    languages: Mapped[str | None] = mapped_column(sa.String(100))
    # The language of the interface this person chose (a catalog's code, e.g. "es"); none: the
    # browser's preference (caseflow.i18n).
    language: Mapped[str | None] = mapped_column(sa.String(12))
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password reset and deactivation: invalidates existing sessions.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # May sign in with a password even where the district signs in through its provider.
    break_glass: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # TOTP multi-factor: the secret (encrypted with a key derived from SECRET_KEY), when it was
    # turned on, and the last time step accepted (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A daily e-mail of unread notifications (the digest job), if the person wants one.
    wants_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    district: Mapped[District] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    schools: Mapped[list[School]] = relationship(
        secondary=user_schools, lazy="selectin", order_by=School.name
    )

    # Flask-Login ----------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    # Roles, permissions, scope ----------------------------------------------------
    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.roles)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def school_ids(self) -> frozenset[int]:
        return frozenset(s.id for s in self.schools)

    def serves_school(self, school_id: int) -> bool:
        return self.district_wide or school_id in self.school_ids

    @classmethod
    def serving(cls, school_id: int):
        """SQL condition: the user serves `school_id` (or the whole district)."""
        return sa.or_(
            cls.district_wide,
            sa.exists().where(user_schools.c.user_id == cls.id, user_schools.c.school_id == school_id),
        )

    @classmethod
    def other_administrators_ids(cls, district_id: int, school_id: int, actor_id: int) -> list[int]:
        """Active administrators who serve `school_id` (or the whole district), but `actor_id`:
        the second administrators a gate tells when something waits for one of them."""
        from caseflow.auth.permissions import Role

        return db.session.scalars(
            sa.select(cls.id)
            .join(UserRole, UserRole.user_id == cls.id)
            .where(
                cls.active,
                cls.district_id == district_id,
                cls.serving(school_id),
                UserRole.role == Role.ADMINISTRATOR.value,
                cls.id != actor_id,
            )
            .distinct()
        ).all()

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(enum_column_type(tuple(Role), "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(db.Model):
    """A personal access token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # The first characters, kept so that people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
