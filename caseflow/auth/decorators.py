"""The permission decorators used by views and API handlers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.permissions import Permission
from caseflow.errors import Forbidden


def _guard(allowed: Callable[[object], bool], permissions: tuple[Permission, ...]):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from caseflow.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user):
                raise Forbidden(gettext("You do not have access to this."))
            return view(*args, **kwargs)

        wrapper.required_permissions = permissions
        return wrapper

    return decorator


def permission_required(*permissions: Permission):
    """Allow the view only to signed-in users holding every one of `permissions`.

    Anonymous users are sent to the login page (pages) or get 401 (API) by Flask-Login.
    """
    return _guard(lambda user: all(user.can(p) for p in permissions), permissions)


def any_permission_required(*permissions: Permission):
    """Allow the view to signed-in users holding at least one of `permissions`."""
    return _guard(lambda user: any(user.can(p) for p in permissions), permissions)
