"""Starting and capping a browser session: every sign-in (password or provider) starts a new
session that lasts at most SESSION_HOURS from the sign-in, whatever happens in between."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from caseflow.auth.models import User

SIGNED_IN_AT = "signed_in_at"
SSO = "sso"  # {"district": code, "id_token": ...} for a session a provider started


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.dashboard")


def start_session(user: User, *, sso: dict | None = None) -> None:
    """Sign `user` in on a fresh session (nothing of the anonymous session is kept)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[SIGNED_IN_AT] = int(time.time())
    if sso:
        session[SSO] = sso


def refresh_session(user: User) -> None:
    """Keep this session after the account's session epoch changed (own password change)."""
    started = session.get(SIGNED_IN_AT)
    sso = session.get(SSO)
    login_user(user)
    session[SIGNED_IN_AT] = started or int(time.time())
    if sso:
        session[SSO] = sso


def session_expired() -> bool:
    started = session.get(SIGNED_IN_AT)
    limit = current_app.permanent_session_lifetime.total_seconds()
    return not isinstance(started, int) or time.time() - started > limit


def init_session_cap(app: Flask) -> None:
    @app.before_request
    def end_sessions_past_their_hours():
        if request.path.startswith(("/api/", "/static/")) or not current_user.is_authenticated:
            return None
        if session_expired():
            logout_user()
            session.clear()
            flash(gettext("Your session has ended. Sign in again."), "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None
