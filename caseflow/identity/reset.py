"""Password reset by e-mail: a one-time link valid for PASSWORD_RESET_MINUTES, sent through the
outbox. The request gets the same answer whether or not the address exists; an account gets at
most PASSWORD_RESET_PER_ACCOUNT_HOURLY links an hour. Using a link sets the new password and
ends every session and API token of the account.

Services flush and write the audit event; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import ApiToken, User
from caseflow.auth.services import normalize_email, set_password
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.identity.models import PasswordResetToken
from caseflow.identity.services import password_refused_by
from caseflow.labels import in_language_of
from caseflow.scheduling.mail import enqueue, mail_enabled


class ResetLinkInvalid(Exception):
    """The link is unknown, used already or expired (one message for all three)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def reset_available() -> bool:
    """Reset by e-mail needs the outbox (MAIL_HOST)."""
    return mail_enabled()


def request_password_reset(email: str, *, now: datetime | None = None) -> None:
    """Queue a reset link to `email` if it is an active account that may use a password.

    Returns nothing either way: the caller's answer must not tell whether the account exists.
    """
    now = now or now_utc()
    cfg = current_app.config
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active or password_refused_by(user) is not None:
        return
    recent = db.session.scalar(
        sa.select(sa.func.count(PasswordResetToken.id)).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= cfg["PASSWORD_RESET_PER_ACCOUNT_HOURLY"]:
        record(None, "user.password_reset_throttled", user, changes={"last_hour": recent})
        return
    secret = secrets.token_urlsafe(32)
    minutes = cfg["PASSWORD_RESET_MINUTES"]
    row = PasswordResetToken(
        user_id=user.id,
        token_hash=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    link = f"{cfg['PUBLIC_URL'].rstrip('/')}/password-reset/{secret}"
    with in_language_of(user):
        subject = gettext("Reset your Caseflow password")
        body = gettext(
            "Hello %(name)s,\n\nSomeone (we hope you) asked to reset the password of your "
            "Caseflow account. Follow this link within %(minutes)s minutes to choose a new one:\n\n"
            "%(link)s\n\nThe link works once. If you did not ask for it, ignore this e-mail: your "
            "password stays as it is.\n",
            name=user.full_name,
            minutes=minutes,
            link=link,
        )
    enqueue(to=user.email, subject=subject, body=body, dedupe_key=f"password-reset:{row.id}", now=now)
    record(None, "user.password_reset_requested", user, changes={"expires_at": row.expires_at})


def usable_token(secret: str, *, now: datetime | None = None, lock: bool = False) -> PasswordResetToken:
    """The unused, unexpired reset token for `secret`; raises ResetLinkInvalid. With `lock`, the
    row is locked (PostgreSQL), so two submissions of one link cannot both use it."""
    now = now or now_utc()
    if not secret or len(secret) > 100:
        raise ResetLinkInvalid()
    stmt = sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(secret))
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.active:
        raise ResetLinkInvalid()
    return row


def reset_password(secret: str, password: str, *, now: datetime | None = None) -> User:
    """Set a new password with a reset link: the link and every other open link of the account
    are spent, every session and API token of the account ends. Raises ResetLinkInvalid, or
    ValidationFailed for a weak password (the link stays usable)."""
    now = now or now_utc()
    row = usable_token(secret, now=now, lock=True)
    user = row.user
    set_password(actor=user, user=user, password=password)
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    revoked = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    record(user, "user.password_reset", user, changes={"api_tokens_revoked": revoked})
    return user
