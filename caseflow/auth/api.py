"""/api/v1/me and /api/v1/users."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.models import ApiToken, User
from caseflow.auth.permissions import Permission
from caseflow.auth.schemas import TokenSchema, UserSchema
from caseflow.extensions import db

me_blp = Blueprint("api_me", __name__, url_prefix="/api/v1/me", description="The caller's own account")
users_blp = Blueprint("api_users", __name__, url_prefix="/api/v1/users", description="Staff accounts")
blueprints = (me_blp, users_blp)


@me_blp.route("")
@permission_required()
@me_blp.response(200, UserSchema)
def me():
    """The account the token belongs to, with its roles, permissions and schools."""
    return current_user


@me_blp.route("/tokens")
@permission_required()
@me_blp.response(200, TokenSchema(many=True))
def my_tokens():
    """The caller's personal access tokens (never their secrets)."""
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    ).all()


@users_blp.route("")
@permission_required(Permission.USER_MANAGE)
@users_blp.response(200, UserSchema(many=True))
def list_users():
    """Every staff account of the caller's district (system administrators)."""
    return db.session.scalars(
        sa.select(User).where(User.district_id == current_user.district_id).order_by(User.full_name)
    ).all()
