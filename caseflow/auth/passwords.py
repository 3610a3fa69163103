"""argon2id password hashing, with parameters from the app config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext

MIN_PASSWORD_LENGTH = 12


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check a password. Returns (ok, new_hash) where new_hash is set when parameters changed.

    With no stored hash (an unknown account) a dummy hash is still verified, so a login
    attempt takes as long whether or not the account exists.
    """
    hasher = _hasher()
    if not stored_hash:
        try:
            hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        return False, None
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hasher.hash(password)
    return True, None


def _dummy_hash() -> str:
    key = "_caseflow_dummy_hash"
    value = current_app.extensions.get(key)
    if value is None:
        value = _hasher().hash("not a real password, only here to spend the same time")
        current_app.extensions[key] = value
    return value


def password_problems(password: str) -> list[str]:
    """Plain-language reasons a new password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            gettext(
                "Use at least %(min_password_length)s characters.", min_password_length=MIN_PASSWORD_LENGTH
            )
        )
    if password.strip() != password:
        problems.append(gettext("Do not start or end with a space."))
    if len(set(password)) < 5:
        problems.append(gettext("Use more different characters."))
    return problems
