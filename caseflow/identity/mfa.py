"""TOTP multi-factor for local passwords: who must use it, the encrypted secret, codes that are
accepted once, ten one-time recovery codes, and the QR code drawn here (segno, no web service).

Services flush and write an audit event; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import Role
from caseflow.db import now_utc
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.identity.models import RecoveryCode

ISSUER = "Caseflow"
RECOVERY_CODES = 10
STEP_SECONDS = 30


class MfaConfigError(ValueError):
    pass


def parse_required_roles(value: str | None) -> frozenset[Role]:
    """MFA_REQUIRED_ROLES as roles; raises MfaConfigError naming an unknown role."""
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    if names in ([], ["none"]):
        return frozenset()
    unknown = [n for n in names if n not in set(Role)]
    if unknown:
        raise MfaConfigError(
            f"MFA_REQUIRED_ROLES names unknown roles {', '.join(unknown)} (known: {', '.join(Role)})"
        )
    return frozenset(Role(n) for n in names)


def mfa_required(user: User) -> bool:
    """Whether `user` must use a second factor with a password (a role in MFA_REQUIRED_ROLES)."""
    return bool(user.roles & parse_required_roles(current_app.config["MFA_REQUIRED_ROLES"]))


# The secret at rest --------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"caseflow totp secret").derive(
        current_app.config["SECRET_KEY"].encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _decrypt(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("ascii")
    except InvalidToken:  # SECRET_KEY changed: the authenticator must be set up again
        return None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data URI (allowed by the page's img-src)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step whose code equals `code`, within the window and later than `after`."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    window = current_app.config["MFA_VALID_WINDOW"]
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            return step
    return None


# Recovery codes -------------------------------------------------------------------------------


def _code_digest(code: str) -> str:
    normal = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _new_recovery_codes(user: User, now: datetime) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()  # 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_code_digest(c), created_at=now) for c in codes
    )
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


# Services --------------------------------------------------------------------------------------


def enable_totp(*, actor: User, user: User, secret: str, code: str, now: datetime | None = None) -> list[str]:
    """Turn TOTP on once the person proved their authenticator shows `code` for `secret`.

    Returns the ten recovery codes (shown once; only their hashes are kept).
    Raises ValidationFailed when the code does not match.
    """
    now = now or now_utc()
    step = _matching_step(secret, code, now, None)
    if step is None:
        raise ValidationFailed(
            gettext("That code does not match."),
            fields={"code": [gettext("That code does not match. Enter the 6 digits your app shows now.")]},
        )
    user.totp_secret = _encrypt(secret)
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_recovery_codes(user, now)
    record(actor, "user.mfa_enabled", user, changes={"method": "totp", "recovery_codes": len(codes)})
    return codes


def check_second_factor(user: User, code: str, *, now: datetime | None = None) -> str | None:
    """Accept a TOTP code (never the same time step twice) or an unused recovery code.

    Returns the method that passed ("totp" or "recovery_code"), or None. Marks what was used;
    the caller counts failures and records the sign-in.
    """
    now = now or now_utc()
    secret = _decrypt(user.totp_secret) if user.totp_secret else None
    if secret is not None:
        step = _matching_step(secret, code, now, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return "totp"
    row = db.session.scalar(
        sa.select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        return None
    row.used_at = now
    return "recovery_code"


def new_recovery_codes(*, actor: User, user: User, now: datetime | None = None) -> list[str]:
    """Replace the account's recovery codes with ten new ones (shown once)."""
    codes = _new_recovery_codes(user, now or now_utc())
    record(actor, "user.recovery_codes_replaced", user, changes={"recovery_codes": len(codes)})
    return codes


def reset_mfa(*, actor: User, user: User) -> User:
    """A system administrator removes a lost authenticator: the person sets one up again at
    their next sign-in (when their role requires it). Signs the account out everywhere."""
    if not user.has_totp:
        return user
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_epoch += 1
    record(actor, "user.mfa_reset", user, changes={"method": "totp"})
    return user
