"""Staff accounts: creation, roles and schools, sign-in with lockout, personal access tokens.

Services flush and write an audit event; the caller commits (see caseflow.db.transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import contains_eager

from caseflow.audit.services import diff, record, snapshot
from caseflow.auth.models import ApiToken, User, UserRole
from caseflow.auth.passwords import hash_password, password_problems, verify_password
from caseflow.auth.permissions import CASE_DATA_ROLES, Role
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.people.models import School

TOKEN_PREFIX = "cf_"
AUDITED_USER_FIELDS = ("email", "full_name", "active", "district_wide", "languages")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _user_state(user: User) -> dict:
    state = snapshot(user, AUDITED_USER_FIELDS)
    state["roles"] = sorted(r.role for r in user.role_rows)
    state["schools"] = sorted(s.code for s in user.schools)
    return state


def _load_schools(district_id: int, school_ids) -> list[School]:
    ids = sorted({int(i) for i in school_ids or ()})
    if not ids:
        return []
    schools = db.session.scalars(
        sa.select(School).where(School.id.in_(ids), School.district_id == district_id)
    ).all()
    if len(schools) != len(ids):
        raise ValidationFailed(
            gettext("Unknown school."), fields={"school_ids": [gettext("Unknown school.")]}
        )
    return list(schools)


def _check_roles(roles) -> list[Role]:
    try:
        parsed = sorted({Role(r) for r in roles})
    except ValueError:
        raise ValidationFailed(
            gettext("Unknown role."), fields={"roles": [gettext("Unknown role.")]}
        ) from None
    if not parsed:
        raise ValidationFailed(
            gettext("Choose at least one role."), fields={"roles": [gettext("Choose at least one role.")]}
        )
    return parsed


def _grant_case_data_roles(actor, user: User, granted) -> None:
    """Refuse a case-data role a person would give themselves; audit every other grant of one
    (who granted which role to whom)."""
    roles = sorted(r.value for r in granted if Role(r) in CASE_DATA_ROLES)
    if not roles:
        return
    if actor is None:  # the command line's first accounts and imports: user.created lists the roles
        return
    if actor.id == user.id:
        message = "A role that reads case data is granted to you by another administrator."
        raise Forbidden(message, fields={"roles": [message]})
    record(
        actor,
        "user.case_data_role_granted",
        user,
        changes={"roles": roles, "granted_by": actor.email},
    )


def create_user(
    *,
    actor,
    district_id: int,
    email: str,
    full_name: str,
    roles,
    school_ids=(),
    district_wide: bool = False,
    password: str | None = None,
    languages: str | None = None,
) -> User:
    """Create a staff account. Raises ValidationFailed (per field) or Conflict (email taken)."""
    email = normalize_email(email)
    fields: dict[str, list[str]] = {}
    if not email or "@" not in email:
        fields["email"] = [gettext("Enter an email address.")]
    if not full_name.strip():
        fields["full_name"] = [gettext("Enter the person's name.")]
    if password is not None and (problems := password_problems(password)):
        fields["password"] = problems
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    parsed_roles = _check_roles(roles)
    schools = _load_schools(district_id, school_ids)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            gettext("An account with this email already exists."),
            fields={"email": [gettext("An account with this email already exists.")]},
        )
    user = User(
        district_id=district_id,
        email=email,
        full_name=full_name.strip(),
        district_wide=district_wide,
        languages=languages or None,
        password_hash=hash_password(password) if password else None,
    )
    user.role_rows = [UserRole(role=r.value) for r in parsed_roles]
    user.schools = schools
    db.session.add(user)
    db.session.flush()
    record(actor, "user.created", user, changes=_user_state(user))
    _grant_case_data_roles(actor, user, parsed_roles)
    return user


def update_user(
    *,
    actor,
    user: User,
    full_name: str,
    roles,
    school_ids,
    district_wide: bool,
    languages: str | None = None,
) -> User:
    """Change a user's name, roles, schools and scope, auditing what changed."""
    if not full_name.strip():
        raise ValidationFailed(
            gettext("Enter the person's name."), fields={"full_name": [gettext("Enter the person's name.")]}
        )
    parsed_roles = _check_roles(roles)
    schools = _load_schools(user.district_id, school_ids)
    before = _user_state(user)
    _grant_case_data_roles(actor, user, {r for r in parsed_roles if r not in user.roles})
    user.full_name = full_name.strip()
    user.district_wide = district_wide
    user.languages = languages or None
    wanted = {r.value for r in parsed_roles}
    user.role_rows = [r for r in user.role_rows if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - {r.role for r in user.role_rows})
    ]
    user.schools = schools
    db.session.flush()
    changes = diff(before, _user_state(user))
    if changes:
        record(actor, "user.updated", user, changes=changes)
    return user


def set_user_active(*, actor, user: User, active: bool) -> User:
    """Deactivate (sign out everywhere, tokens stop working) or reactivate an account."""
    if actor is not None and actor.id == user.id and not active:
        raise Conflict(gettext("You cannot deactivate your own account."))
    if user.active == active:
        return user
    user.active = active
    user.session_epoch += 1
    record(
        actor,
        "user.activated" if active else "user.deactivated",
        user,
        changes={"active": {"before": not active, "after": active}},
    )
    return user


def set_break_glass(*, actor, user: User, allowed: bool) -> User:
    """Name `user` a break-glass account: it may sign in with its password even where the
    district has turned passwords off (for when the provider is down)."""
    if user.break_glass != allowed:
        user.break_glass = allowed
        record(actor, "user.break_glass_changed", user, changes={"break_glass": allowed})
    return user


def set_password(*, actor, user: User, password: str) -> User:
    """Set a new password (a reset by an administrator or a change by the user).

    Clears the lockout and signs the account out of every other session.
    """
    if problems := password_problems(password):
        raise ValidationFailed(gettext("Choose a stronger password."), fields={"password": problems})
    user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    user.session_epoch += 1
    record(actor, "user.password_set", user, changes={"by_self": actor is not None and actor.id == user.id})
    return user


def check_language(language: str) -> str:
    """`language` when Caseflow has a catalog for it; else ValidationFailed."""
    from flask_babel import gettext

    from caseflow.i18n import is_supported

    if not is_supported(language):
        message = gettext("Choose one of the languages offered.")
        raise ValidationFailed(message, fields={"language": [message]})
    return language


def set_language(*, actor, user: User, language: str) -> User:
    """Choose the language of `user`'s interface: a language Caseflow has a catalog for."""
    check_language(language)
    if user.language != language:
        user.language = language
        db.session.flush()
        record(actor, "user.language_changed", user, changes={"language": language})
    return user


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked: bool = False


# What the audit trail calls each way of signing in (the Account page shows them).
SIGN_IN_METHODS = {
    "password": "Password",
    "password+totp": "Password and authenticator code",
    "password+recovery_code": "Password and recovery code",
}


def record_sign_in(
    user: User | None, *, method: str, reason: str | None = None, email: str | None = None
) -> None:
    """One audit event per sign-in attempt: `auth.login` on success, `auth.login_failed` with
    the failure's `reason` otherwise. `email` names an attempt that matched no account."""
    changes: dict = {"method": method}
    if reason is not None:
        changes["reason"] = reason
    if user is None and email:
        changes["email"] = normalize_email(email)[:254]
    record(
        user if reason is None else None,
        "auth.login" if reason is None else "auth.login_failed",
        user,
        entity_type="User",
        changes=changes,
    )


def count_failed_sign_in(user: User, *, method: str, reason: str, now: datetime | None = None) -> bool:
    """Count a failed attempt on `user` (wrong password or second factor), locking the account
    after LOGIN_MAX_FAILURES; records it. Returns whether the account is now locked."""
    now = now or now_utc()
    cfg = current_app.config
    user.failed_login_count += 1
    locked = user.failed_login_count >= cfg["LOGIN_MAX_FAILURES"]
    if locked:
        user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
        user.failed_login_count = 0
    record_sign_in(user, method=method, reason=reason + ("; locked" if locked else ""))
    return locked


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def authenticate(email: str, password: str, *, now: datetime | None = None) -> SignInResult:
    """Check a password, counting failures per account and locking it after too many.

    On success the account is returned but not yet signed in: the caller may still ask for a
    second factor, then calls `complete_sign_in`. The caller shows the same message for every
    failure (unknown email, wrong password, locked or inactive account), so the response never
    tells whether an account exists; the audit trail keeps the reason.
    """
    now = now or now_utc()
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    ok, new_hash = verify_password(user.password_hash if user else None, password)
    if user is None:
        record_sign_in(None, method="password", reason="unknown_account", email=email)
        return SignInResult(None)
    if is_locked(user, now):
        record_sign_in(user, method="password", reason="locked")
        return SignInResult(None, locked=True)
    if not ok or not user.active:
        reason = "wrong_password" if user.active else "account_deactivated"
        return SignInResult(
            None, locked=count_failed_sign_in(user, method="password", reason=reason, now=now)
        )
    if new_hash:
        user.password_hash = new_hash
    return SignInResult(user)


def complete_sign_in(user: User, *, method: str, now: datetime | None = None) -> User:
    """Record a successful sign-in by `method` and clear the failure count."""
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now or now_utc()
    record_sign_in(user, method=method)
    return user


# Personal access tokens ---------------------------------------------------------------


def _token_digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is as safe as a slow one here.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    *, actor, user: User, name: str, days: int | None = None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`, by `user` themselves (nobody mints a token for someone else,
    an administrator neither); returns the row and the secret, which is never stored."""
    now = now or now_utc()
    if actor is None or actor.id != user.id:
        raise Forbidden(
            gettext("A token is created by its owner, on their Account page; an administrator may revoke it.")
        )
    cfg = current_app.config
    days = cfg["API_TOKEN_DEFAULT_DAYS"] if days is None else days
    fields = {}
    if not name or not name.strip():
        fields["name"] = [gettext("Name the token (what it is for).")]
    elif len(name.strip()) > 100:
        fields["name"] = [gettext("Use at most 100 characters.")]
    if not 1 <= days <= cfg["API_TOKEN_MAX_DAYS"]:
        fields["days"] = [gettext("Choose between 1 and %(value)s days.", value=cfg["API_TOKEN_MAX_DAYS"])]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:10],
        token_hash=_token_digest(secret),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record(
        actor,
        "token.created",
        token,
        changes={"user": user.email, "name": token.name, "expires_at": token.expires_at},
    )
    return token, secret


def revoke_token(*, actor, token: ApiToken, now: datetime | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now or now_utc()
        record(actor, "token.revoked", token, changes={"user": token.user.email, "name": token.name})
    return token


@cache
def _token_statement() -> sa.Select:
    """The token, its user, and the user's roles and schools, by the token's digest: built once
    (every API call runs it), so a call only binds the digest."""
    owner = contains_eager(ApiToken.user)
    return (
        sa.select(ApiToken)
        .join(ApiToken.user)
        .options(owner.joinedload(User.role_rows), owner.joinedload(User.schools))
        .where(ApiToken.token_hash == sa.bindparam("token_hash"))
    )


def user_for_token(secret: str, *, now: datetime | None = None) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, revoked or expired.

    One query (every API call runs it): the token, its user, and the user's roles and schools
    that every permission check reads. Nothing is cached between calls: a revoked or expired
    token, or a deactivated user, is refused from the next call on."""
    now = now or now_utc()
    token = db.session.scalars(_token_statement(), {"token_hash": _token_digest(secret)}).unique().first()
    if token is None or not token.is_usable(now) or not token.user.active:
        return None
    # Recorded at most every few minutes, so that API traffic does not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return token.user
