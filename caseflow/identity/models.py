"""A district's sign-in provider, TOTP recovery codes and password-reset tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db
from caseflow.people.models import District

PROVIDER_KINDS = ("google", "entra", "oidc")


class SignInProvider(db.Model):
    """The OpenID Connect provider a district's staff sign in with (one per district).

    The client secret is never stored: `client_secret_ref` says where to read it, either
    `env:VARIABLE` or `file:/path/to/secret`.
    """

    __tablename__ = "sign_in_providers"
    __table_args__ = (
        sa.CheckConstraint("kind <> 'google' OR hosted_domain IS NOT NULL", name="google_domain"),
        sa.CheckConstraint("kind <> 'entra' OR tenant_id IS NOT NULL", name="entra_tenant"),
        sa.CheckConstraint(
            "client_secret_ref LIKE 'env:%' OR client_secret_ref LIKE 'file:%'", name="secret_ref"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), unique=True)
    kind: Mapped[str] = mapped_column(enum_column_type(PROVIDER_KINDS, "provider_kind"))
    name: Mapped[str] = mapped_column(sa.String(80))  # "Sign in with <name>"
    discovery_url: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    client_secret_ref: Mapped[str] = mapped_column(sa.String(500))
    # Google Workspace: the `hd` claim must equal it. Entra ID: the `tid` claim must equal it.
    hosted_domain: Mapped[str | None] = mapped_column(sa.String(253))
    tenant_id: Mapped[str | None] = mapped_column(sa.String(64))
    # False: only break-glass accounts may sign in with a password.
    local_passwords: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    district: Mapped[District] = relationship()


class RecoveryCode(db.Model):
    """One of the ten one-time codes that stand in for a lost authenticator (SHA-256 only)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetToken(db.Model):
    """A one-time link sent by e-mail (SHA-256 only); valid for a short time."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
