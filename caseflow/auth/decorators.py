"""The permission decorator used by views and API handlers."""

from __future__ import annotations

from functools import wraps

from flask_login import current_user

from caseflow.auth.permissions import Permission
from caseflow.errors import Forbidden


def require(user, permission: Permission) -> None:
    """Raise Forbidden unless `user` holds `permission`."""
    if not user.is_authenticated or not user.can(permission):
        raise Forbidden("You do not have access to this.")


def permission_required(*permissions: Permission):
    """Allow the view only to signed-in users holding every one of `permissions`.

    Anonymous users are sent to the login page (pages) or get 401 (API) by Flask-Login.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from caseflow.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            for permission in permissions:
                require(current_user, permission)
            return view(*args, **kwargs)

        wrapper.required_permissions = permissions
        return wrapper

    return decorator
