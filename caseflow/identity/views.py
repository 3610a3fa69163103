"""Pages of sign-in beyond the password form: the provider's round trip, the second factor at
sign-in, setting up an authenticator, password reset by e-mail, and the signed-out page."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from caseflow.auth.models import User
from caseflow.auth.services import complete_sign_in, count_failed_sign_in, is_locked, record_sign_in
from caseflow.db import now_utc, transaction
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db, limiter
from caseflow.identity import mfa, oidc, reset, services
from caseflow.identity.providers import provider_by_code
from caseflow.identity.sessions import safe_next, start_session
from caseflow.labels import N_

bp = Blueprint("identity", __name__)

PENDING = "pending_sign_in"
PENDING_SECONDS = 600  # a password stays good for its second factor this long
ENROL_SECRET = "totp_enrol_secret"
# One message for every failed sign-in: it never reveals whether the account exists,
# is inactive or is locked.
SIGN_IN_FAILED = N_(
    "Sign-in failed. Check the email and password. After repeated failures an account "
    "is paused for a few minutes."
)
CODE_FAILED = "That code is not right. Check your authenticator app, or use a recovery code."


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_rate_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _message(title: str, message: str, status: int, *, retry: bool = True):
    return render_template("identity/message.html", title=title, message=message, retry=retry), status


# The provider's round trip --------------------------------------------------------------------


def _provider(code: str):
    provider = provider_by_code(code)
    if provider is None:
        raise NotFound(gettext("This district does not sign in through a provider."))
    return provider


def _unavailable(provider, exc: Exception):
    current_app.logger.warning("sign-in provider %s unavailable: %s", provider.name, exc)
    with transaction():
        record_sign_in(None, method=services.provider_method(provider), reason="provider_unavailable")
    return _message(
        f"{provider.name} is not answering",
        f"Caseflow could not reach {provider.name} to sign you in. Try again in a few minutes; if it "
        "keeps happening, tell your district's IT.",
        503,
    )


@bp.route("/login/sso/<code>")
def sso_start(code: str):
    provider = _provider(code)
    if request.args.get("next"):
        session["sso_next"] = request.args["next"]
    try:
        return oidc.authorization_redirect(
            provider, url_for("identity.sso_callback", code=code, _external=True)
        )
    except oidc.ProviderUnavailable as exc:
        return _unavailable(provider, exc)


@bp.route("/login/sso/<code>/callback")
def sso_callback(code: str):
    provider = _provider(code)
    claims, id_token, refusal = None, None, None
    try:
        claims, id_token = oidc.verified_claims(provider)
    except oidc.SignInRefused as exc:
        refusal = exc
    except oidc.ProviderUnavailable as exc:
        return _unavailable(provider, exc)
    with transaction():
        outcome = services.sign_in_with_provider(provider=provider, claims=claims, refusal=refusal)
    if outcome.refusal is not None:
        return _message("You are not signed in", outcome.refusal.message, outcome.refusal.status)
    target = safe_next(session.pop("sso_next", None))
    start_session(outcome.user, sso={"district": code, "id_token": id_token})
    return redirect(target)


# The second factor at sign-in ---------------------------------------------------------------


def begin_second_factor(user: User, step: str, next_url: str | None):
    """Remember a right password for PENDING_SECONDS while the second factor is asked for."""
    session.clear()
    session[PENDING] = {
        "user": user.id,
        "epoch": user.session_epoch,
        "at": int(time.time()),
        "next": next_url,
    }
    return redirect(url_for("identity.verify" if step == "totp" else "identity.enrol"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_epoch != pending.get("epoch"):
        return None
    return user


def _finish(user: User):
    target = safe_next(session.get(PENDING, {}).get("next"))
    start_session(user)
    return redirect(target)


def _expired_pending():
    session.pop(PENDING, None)
    flash(gettext("Sign in again: the sign-in was not finished in time."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def verify():
    user = _pending_user()
    if user is None:
        return _expired_pending()
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")[:64]
        with transaction():
            if is_locked(user, now_utc()):
                record_sign_in(user, method="password+totp", reason="locked")
                locked, method = True, None
            else:
                method = mfa.check_second_factor(user, code)
                if method:
                    complete_sign_in(user, method=f"password+{method}")
                    locked = False
                else:
                    locked = count_failed_sign_in(user, method="password+totp", reason="wrong_code")
        if method:
            if method == "recovery_code":
                flash(
                    gettext(
                        "You used a recovery code; %(left)s are left. "
                        "Make new ones on your Account page if you run low.",
                        left=mfa.unused_recovery_codes(user),
                    ),
                    "info",
                )
            return _finish(user)
        if locked:
            session.pop(PENDING, None)
            flash(gettext(SIGN_IN_FAILED), "error")
            return redirect(url_for("auth.login"))
        error = CODE_FAILED
    return render_template("identity/verify.html", error=error), (401 if error else 200)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def enrol():
    """A role that must use a second factor sets up its authenticator before its first session."""
    user = _pending_user()
    if user is None:
        return _expired_pending()
    return _enrolment(user, on_done=lambda codes: _enrolled_at_sign_in(user, codes))


def _enrolled_at_sign_in(user: User, codes: list[str]):
    target = safe_next(session.get(PENDING, {}).get("next"))
    start_session(user)
    return render_template("identity/recovery_codes.html", codes=codes, next_url=target)


def _enrolment(user: User, *, on_done):
    secret = session.get(ENROL_SECRET)
    if not secret:
        secret = session[ENROL_SECRET] = mfa.new_secret()
    errors = {}
    if request.method == "POST":
        try:
            with transaction():
                codes = mfa.enable_totp(
                    actor=user, user=user, secret=secret, code=request.form.get("code", "")[:64]
                )
                if PENDING in session:
                    complete_sign_in(user, method="password+totp")
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            session.pop(ENROL_SECRET, None)
            return on_done(codes)
    uri = mfa.provisioning_uri(user, secret)
    return render_template(
        "identity/enrol.html",
        qr=mfa.qr_data_uri(uri),
        secret=secret,
        errors=errors,
        required=mfa.mfa_required(user),
    ), (422 if errors else 200)


@bp.route("/account/mfa", methods=["GET", "POST"])
@login_required
def account_enrol():
    user = db.session.get(User, current_user.id)
    if user.has_totp:
        return redirect(url_for("auth.account"))
    return _enrolment(
        user,
        on_done=lambda codes: render_template("identity/recovery_codes.html", codes=codes, next_url=None),
    )


@bp.route("/account/mfa/recovery-codes", methods=["POST"])
@login_required
@limiter.limit(_login_rate_limit)
def new_recovery_codes():
    user = db.session.get(User, current_user.id)
    if not user.has_totp:
        return redirect(url_for("auth.account"))
    with transaction():
        method = mfa.check_second_factor(user, request.form.get("code", "")[:64])
        codes = mfa.new_recovery_codes(actor=user, user=user) if method else None
    if codes is None:
        flash(gettext("That code is not right: your recovery codes are unchanged."), "error")
        return redirect(url_for("auth.account"))
    return render_template("identity/recovery_codes.html", codes=codes, next_url=None)


# Signed out -----------------------------------------------------------------------------------


@bp.route("/signed-out")
def signed_out():
    end_session = session.pop("end_session_url", None)
    if not end_session:
        return redirect(url_for("auth.login"))
    return render_template("identity/signed_out.html", end_session=end_session)


# Password reset by e-mail ---------------------------------------------------------------------

RESET_SENT = (
    "If {email} belongs to a Caseflow account that signs in with a password, a link to choose a "
    "new password is on its way. It works once, for {minutes} minutes."
)


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_reset_rate_limit, methods=["POST"])
def reset_request():
    if not reset.reset_available():
        return _message(
            "Password reset",
            "Caseflow cannot send e-mail here, so ask your school's Caseflow administrator to reset "
            "your password.",
            200,
            retry=False,
        )
    errors, email, sent = {}, "", None
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        if "@" not in email:
            errors = {"email": [gettext("Enter the e-mail address of your Caseflow account.")]}
        else:
            with transaction():
                reset.request_password_reset(email)
            sent = RESET_SENT.format(email=email, minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    return render_template("identity/reset_request.html", errors=errors, email=email, sent=sent), (
        422 if errors else 200
    )


def _link_invalid():
    return _message(
        "This link does not work",
        "This password-reset link was used already, has expired, or is not complete. Ask for a new one.",
        410,
    )


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_rate_limit, methods=["POST"])
def reset_form(token: str):
    errors = {}
    try:
        reset.usable_token(token)
    except reset.ResetLinkInvalid:
        return _link_invalid()
    if request.method == "POST":
        password = request.form.get("password", "")[:1024]
        if password != request.form.get("password_again", "")[:1024]:
            errors = {"password_again": [gettext("The two passwords are not the same.")]}
        else:
            try:
                with transaction():
                    reset.reset_password(token, password)
            except reset.ResetLinkInvalid:
                return _link_invalid()
            except ValidationFailed as exc:
                errors = exc.fields
            else:
                session.clear()
                flash(
                    gettext(
                        "Your password is changed, and every other session and API token is ended. Sign in."
                    ),
                    "info",
                )
                return redirect(url_for("auth.login"))
    return render_template("identity/reset_form.html", errors=errors), (422 if errors else 200)
