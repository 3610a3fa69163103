"""Sign in, sign out, and the signed-in user's own account page (password, API tokens)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from caseflow.auth import services
from caseflow.auth.forms import LoginForm, PasswordChangeForm, TokenForm
from caseflow.auth.models import ApiToken, User
from caseflow.auth.passwords import verify_password
from caseflow.db import transaction
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db, limiter, login_manager
from caseflow.identity import services as identity
from caseflow.identity.mfa import mfa_required, unused_recovery_codes
from caseflow.identity.oidc import end_session_url
from caseflow.identity.providers import all_providers, provider_by_code
from caseflow.identity.reset import reset_available
from caseflow.identity.sessions import SSO, refresh_session, safe_next, start_session
from caseflow.identity.views import SIGN_IN_FAILED, begin_second_factor

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    try:
        user_id, epoch = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_epoch != epoch or not user.active:
        return None
    return user


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
# Only failed attempts count against an address: a school's staff often share one public
# address, and a morning of successful sign-ins must not lock the building out.
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with transaction():
            result = services.authenticate(form.email.data, form.password.data)
            step = identity.after_password(result.user) if result.user is not None else None
        if step is None:
            error = SIGN_IN_FAILED
        elif step.next_step == "refused":
            error = (
                f"Your district signs in with {step.provider.name}: use the “Sign in with "
                f"{step.provider.name}” button above."
            )
        elif step.next_step == "signed_in":
            start_session(result.user)
            return redirect(safe_next(request.args.get("next")))
        else:
            return begin_second_factor(result.user, step.next_step, request.args.get("next"))
    elif request.method == "POST":
        error = SIGN_IN_FAILED if not form.errors.get("csrf_token") else None
    status = 200 if request.method == "GET" else (401 if error else 400)
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        providers=all_providers(),
        reset_available=reset_available(),
        next_url=request.args.get("next"),
    ), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the Caseflow session; a session a provider started ends at the provider too, where it
    offers an end_session_endpoint (through the signed-out page: the form may only post here)."""
    sso = session.get(SSO)
    end_session = None
    if sso:
        provider = provider_by_code(sso.get("district", ""))
        if provider is not None:
            end_session = end_session_url(
                provider, sso.get("id_token"), url_for("auth.login", _external=True)
            )
    logout_user()
    session.clear()
    if end_session:
        session["end_session_url"] = end_session
        return redirect(url_for("identity.signed_out"))
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return _account_page()


def _account_page(token_form=None, password_form=None, new_secret=None, status=200):
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return (
        render_template(
            "auth/account.html",
            tokens=tokens,
            token_form=token_form or TokenForm(),
            password_form=password_form or PasswordChangeForm(),
            new_secret=new_secret,
            sign_ins=identity.recent_sign_ins(current_user),
            method_label=identity.method_label,
            reason_label=identity.reason_label,
            mfa_required=mfa_required(current_user),
            recovery_codes_left=unused_recovery_codes(current_user) if current_user.has_totp else 0,
        ),
        status,
    )


@bp.route("/account/digest", methods=["POST"])
@login_required
def set_digest():
    """Turn the daily e-mail of unread notifications on or off."""
    from caseflow.audit.services import record

    wanted = request.form.get("wants_digest") == "y"
    with transaction():
        user = db.session.get(User, current_user.id)
        if user.wants_digest != wanted:
            user.wants_digest = wanted
            db.session.flush()
            record(user, "user.digest_changed", user, changes={"wants_digest": wanted})
    flash(gettext("Daily e-mail turned on.") if wanted else gettext("Daily e-mail turned off."), "info")
    return redirect(url_for("auth.account"))


@bp.route("/language", methods=["POST"])
def set_language():
    """The language choice of the sign-in page and the Account page: kept in a cookie for this
    browser and, for a signed-in person, on their account (every browser they use)."""
    from caseflow.i18n import remember_language

    language = services.check_language(request.form.get("language", ""))
    if current_user.is_authenticated:
        with transaction():
            services.set_language(
                actor=current_user, user=db.session.get(User, current_user.id), language=language
            )
    fallback = url_for("auth.account") if current_user.is_authenticated else url_for("auth.login")
    target = request.form.get("next")
    return remember_language(redirect(safe_next(target) if target else fallback), language)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_own_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _account_page(token_form=form, status=422)
    try:
        with transaction():
            _, secret = services.create_token(
                actor=current_user, user=current_user, name=form.name.data, days=form.days.data
            )
    except ValidationFailed as exc:
        for field, messages in exc.fields.items():
            getattr(form, field).errors = list(messages)
        return _account_page(token_form=form, status=422)
    return _account_page(new_secret=secret)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_own_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound(gettext("No such token."))
    with transaction():
        services.revoke_token(actor=current_user, token=token)
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "info")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        ok, _ = verify_password(current_user.password_hash, form.current_password.data)
        if not ok:
            form.current_password.errors = ["That is not your current password."]
        else:
            try:
                with transaction():
                    services.set_password(
                        actor=current_user, user=current_user, password=form.new_password.data
                    )
            except ValidationFailed as exc:
                form.new_password.errors = exc.fields.get("password", [exc.message])
            else:
                refresh_session(current_user)  # the session epoch changed; keep this session
                flash(gettext("Your password is changed. Other sessions are signed out."), "info")
                return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=422)
