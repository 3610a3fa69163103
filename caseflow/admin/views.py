"""Pages for system administrators: staff accounts, roles, schools, passwords and tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.admin.schemas import AdminTokenSchema, PasswordResetSchema, UserFormSchema
from caseflow.auth import services
from caseflow.auth.decorators import permission_required
from caseflow.auth.models import ApiToken, User
from caseflow.auth.permissions import ROLE_LABELS, Permission, Role
from caseflow.db import transaction
from caseflow.errors import DomainError, Forbidden, NotFound
from caseflow.extensions import db
from caseflow.forms import load_form
from caseflow.identity import mfa
from caseflow.people.models import School
from caseflow.people.names import name_matches

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _schools():
    return db.session.scalars(
        sa.select(School).where(School.district_id == current_user.district_id).order_by(School.name)
    ).all()


def _user_in_my_district(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.district_id != current_user.district_id:
        raise NotFound(gettext("No such user."))
    return user


@bp.route("/users")
@permission_required(Permission.USER_MANAGE)
def users():
    q = request.args.get("q", "").strip().lower()
    role = request.args.get("role", "")
    stmt = sa.select(User).where(User.district_id == current_user.district_id).order_by(User.full_name)
    if q:
        stmt = stmt.where(
            sa.or_(sa.and_(*name_matches(User.search_name, q, anywhere=True)), User.email.contains(q))
        )
    if role in set(Role):
        stmt = stmt.where(User.role_rows.any(role=role))
    return render_template("admin/users.html", users=db.session.scalars(stmt).all(), q=q, role=role)


def _user_form(user: User | None):
    errors, raw, status = {}, None, 200
    if request.method == "POST":
        values, errors, raw = load_form(
            UserFormSchema(), checkboxes=("district_wide",), multi=("roles", "school_ids")
        )
        status = 422 if errors else 200
        if values is not None:
            try:
                with transaction():
                    if user is None:
                        saved = services.create_user(
                            actor=current_user, district_id=current_user.district_id, **values
                        )
                    else:
                        values.pop("email"), values.pop("password")
                        saved = services.update_user(actor=current_user, user=user, **values)
            except DomainError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
                status = 403 if isinstance(exc, Forbidden) else 422
            else:
                flash(gettext("Account for %(name)s saved.", name=saved.full_name), "info")
                return redirect(url_for("admin.user", user_id=saved.id))
    return render_template(
        "admin/user_form.html", user=user, raw=raw, errors=errors, schools=_schools(), role_labels=ROLE_LABELS
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Permission.USER_MANAGE)
def new_user():
    return _user_form(None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.USER_MANAGE)
def user(user_id: int):
    return _user_form(_user_in_my_district(user_id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
def set_active(user_id: int):
    target = _user_in_my_district(user_id)
    active = request.form.get("active") == "1"
    with transaction():
        services.set_user_active(actor=current_user, user=target, active=active)
    flash(
        gettext("%(name)s is now active.", name=target.full_name)
        if active
        else gettext("%(name)s is now deactivated.", name=target.full_name),
        "info",
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/mfa-reset", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
def reset_mfa(user_id: int):
    """Remove a lost authenticator; the person sets up a new one at their next sign-in."""
    target = _user_in_my_district(user_id)
    with transaction():
        mfa.reset_mfa(actor=current_user, user=target)
    flash(
        gettext("Authenticator of %(name)s removed; their sessions are signed out.", name=target.full_name),
        "info",
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/break-glass", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
def set_break_glass(user_id: int):
    """Name (or stop naming) an account that may use its password when passwords are off."""
    target = _user_in_my_district(user_id)
    with transaction():
        services.set_break_glass(actor=current_user, user=target, allowed=request.form.get("allowed") == "1")
    flash(
        gettext(
            "%(name)s may sign in with a password when the district's passwords are off.",
            name=target.full_name,
        )
        if target.break_glass
        else gettext(
            "%(name)s may no longer sign in with a password when the district's passwords are off.",
            name=target.full_name,
        ),
        "info",
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@permission_required(Permission.USER_MANAGE)
def reset_password(user_id: int):
    target = _user_in_my_district(user_id)
    errors = {}
    if request.method == "POST":
        values, errors, _ = load_form(PasswordResetSchema())
        if values is not None:
            try:
                with transaction():
                    services.set_password(actor=current_user, user=target, password=values["password"])
            except DomainError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(
                    gettext(
                        "Password for %(name)s reset; their other sessions are signed out.",
                        name=target.full_name,
                    ),
                    "info",
                )
                return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/password_form.html", user=target, errors=errors), (422 if errors else 200)


@bp.route("/users/<int:user_id>/tokens", methods=["GET", "POST"])
@permission_required(Permission.USER_MANAGE)
def tokens(user_id: int):
    """A person's tokens, to revoke. Only their owner creates one (on this page for oneself)."""
    target = _user_in_my_district(user_id)
    errors, raw, secret, status = {}, None, None, 200
    if request.method == "POST":
        values, errors, raw = load_form(AdminTokenSchema())
        status = 422 if errors else 200
        if values is not None:
            try:
                with transaction():
                    _, secret = services.create_token(actor=current_user, user=target, **values)
            except DomainError as exc:
                errors, status = exc.fields or {"_schema": [exc.message]}, exc.status
    rows = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == target.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "admin/tokens.html", user=target, tokens=rows, errors=errors, raw=raw, new_secret=secret
    ), status


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
def revoke_token(user_id: int, token_id: int):
    target = _user_in_my_district(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != target.id:
        raise NotFound(gettext("No such token."))
    with transaction():
        services.revoke_token(actor=current_user, token=token)
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "info")
    return redirect(url_for("admin.tokens", user_id=target.id))
