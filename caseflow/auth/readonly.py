"""Read-only roles write nothing, through any door.

A person whose roles grant only reading (a district auditor, a school resource officer) is
answered 403 on every POST, PUT, PATCH and DELETE of the pages and the API, before the route
looks at an id or a payload: a refused write never tells whether a record exists or what a
valid request would be. The only exceptions are the person's own account (signing in and out,
their password, authenticator, tokens and e-mail preference) and the one form that posts a
question and stores nothing (the triage simulation).
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.permissions import Permission
from caseflow.errors import Forbidden

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Permissions that only read; a person holding nothing else is read-only.
READ_PERMISSIONS = frozenset(
    {
        Permission.INCIDENT_READ_OWN,
        Permission.INCIDENT_READ_SCHOOL,
        Permission.STUDENT_SEARCH,
        Permission.STUDENT_READ,
        Permission.CASE_READ,
        Permission.AUDIT_READ,
        Permission.REPORT_READ,
        Permission.ESCALATION_READ_REFERRED,
    }
)

# Endpoints a read-only person may still post to: their own account, and forms that store nothing.
OWN_ACCOUNT_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.change_password",
        "auth.create_own_token",
        "auth.revoke_own_token",
        "auth.set_digest",
        "auth.set_language",
        "identity.verify",
        "identity.enrol",
        "identity.account_enrol",
        "identity.new_recovery_codes",
        "identity.reset_request",
        "identity.reset_form",
    }
)
STORES_NOTHING_ENDPOINTS = frozenset({"triage.simulate_page"})
ALLOWED_ENDPOINTS = OWN_ACCOUNT_ENDPOINTS | STORES_NOTHING_ENDPOINTS


def is_read_only(user) -> bool:
    """Whether every permission `user` holds only reads."""
    return user.is_authenticated and user.permissions <= READ_PERMISSIONS


def refuse_writes_of_read_only_people():
    """Before every request (ahead of input screening, CSRF and the route): 403 for a write
    by a read-only person."""
    if request.method not in WRITE_METHODS:
        return None
    if request.path.startswith("/api/"):
        from caseflow.api import authenticate_api_request

        refused = authenticate_api_request()
        if refused is not None:
            return refused
    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    if endpoint in ALLOWED_ENDPOINTS or not is_read_only(current_user):
        return None
    raise Forbidden(gettext("Your role reads only: it changes nothing."))


def init_read_only_guard(app: Flask) -> None:
    app.before_request(refuse_writes_of_read_only_people)
