"""Domain errors and the one place they become HTTP responses (JSON for the API, pages else).

JSON errors have one shape everywhere:
    {"error": {"code": "validation_error", "message": "...", "fields": {"field": ["..."]}}}
A field inside a list is named by its path: "behaviors.0", "students.1.student_id".
"""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from caseflow.labels import N_, translated

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. Services raise these; they never build responses."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

FRIENDLY_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Sign in, or send a valid API token."),
    403: N_("You do not have access to this."),
    404: N_("Nothing was found at this address."),
    405: N_("This address does not accept that method."),
    413: N_("The request is too large."),
    415: N_("Send the request body as JSON (Content-Type: application/json)."),
    422: N_("Some fields are not valid."),
    429: N_("Too many attempts. Wait a minute and try again."),
    500: N_("Something went wrong on our side. The error has been logged."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _flatten_webargs(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {...}}); callers want field -> messages."""
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    locations = {"json", "query", "form", "headers", "files", "path", "view_args", "cookies"}
    if messages and set(messages) <= locations:
        merged: dict = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"_schema": value})
        messages = merged
    return messages


def flat_fields(fields, prefix: str = "") -> dict[str, list[str]]:
    """The documented shape {field: [messages]}: a field inside a list or an object is named by
    its path ("behaviors.0", "students.1.role"), never nested."""
    if not isinstance(fields, dict):
        return {prefix.rstrip(".") or "_schema": [str(m) for m in _as_list(fields)]}
    out: dict[str, list[str]] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            for inner, messages in flat_fields(value, f"{name}.").items():
                out.setdefault(inner, []).extend(messages)
            continue
        for item in _as_list(value):
            if isinstance(item, dict):
                for inner, messages in flat_fields(item, f"{name}.").items():
                    out.setdefault(inner, []).extend(messages)
            else:
                out.setdefault(name, []).append(str(item))
    return out


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def json_error(status: int, message: str, fields=None, code: str | None = None, headers=None):
    body = {"error": {"code": code or HTTP_CODES.get(status, "error"), "message": message}}
    if fields:
        body["error"]["fields"] = flat_fields(fields)
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def html_error(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def error_response(status: int, message: str, fields=None, code: str | None = None, headers=None):
    if wants_json():
        return json_error(status, message, fields, code, headers)
    return html_error(status, message)


def handle_http_exception(error: HTTPException):
    """Every HTTPException, including webargs' 422 and Flask's 404/405."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = None
    if "messages" in data or "errors" in data:
        fields = _flatten_webargs(data.get("errors") or data.get("messages"))
    custom = error.description if error.description != type(error).description else None
    if status == 429:  # Flask-Limiter's description is the limit itself ("3 per 1 minute")
        custom = None
    message = data.get("message") or custom or translated(FRIENDLY_MESSAGES.get(status)) or error.description
    headers = dict(data.get("headers") or {})
    return error_response(status, message, fields, headers=headers)


def handle_domain_error(error: DomainError):
    return error_response(error.status, error.message, error.fields, error.code)


def handle_csrf_error(error: CSRFError):
    return error_response(
        400, gettext("This form has expired or was sent from elsewhere. Reload the page and try again.")
    )


def handle_marshmallow_error(error: ma.ValidationError):
    fields = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, translated(FRIENDLY_MESSAGES[422]), fields)


def handle_stale_data(error: StaleDataError):
    """Two people saved the same record at once: the second save changed nothing."""
    from caseflow.extensions import db

    db.session.rollback()
    return error_response(
        409,
        gettext("Someone changed this at the same moment. Reload it to see what changed."),
        code="conflict",
    )


# What a refused row means, in words, by the name of the constraint (or trigger) that refused it.
# Services check these rules first and answer with their own messages; the database is the last
# line, reached by a race or a door that forgot a check. Either way the answer is a 409, not a 500.
CONSTRAINT_MESSAGES = {
    "escalation gate": N_("The law-enforcement gate refused this change: {detail}."),
    "ck_escalations_approved_complete": N_(
        "An approval needs its approver, time, criteria and a guardian reached about the incident."
    ),
    "ck_escalations_approver_not_requester": N_("The requester cannot approve their own request."),
    "fk_escalations_guardian_contact_reached": N_(
        "An approval rests on a contact that reached a guardian of this student about this incident."
    ),
    "ck_emergency_responses_reviewed_contact": N_(
        "An emergency response is reviewed once a guardian has been reached after the call."
    ),
    "uq_escalations_live": N_("An escalation for this student and incident is already waiting or approved."),
    "uq_cases_open_kind": N_("The student already has an open case of this kind."),
}
GENERIC_CONFLICT = N_(
    "This change conflicts with what is already recorded, so nothing was saved. "
    "Reload the page to see the current record and try again."
)


def _refusal_of(error) -> tuple[str, str]:
    """(constraint or trigger name, the database's own words) of an IntegrityError."""
    orig = getattr(error, "orig", None)
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        primary = diag.message_primary or ""
        if primary.startswith("escalation gate:"):
            return "escalation gate", primary.removeprefix("escalation gate:").strip()
        return diag.constraint_name or "", primary
    text = str(orig or error)
    for name in CONSTRAINT_MESSAGES:
        if name in text:
            return name, text
    return "", text


def handle_integrity_error(error: IntegrityError):
    """A constraint or trigger refused the write: 409 with the rule in words, nothing stored."""
    from caseflow.extensions import db

    db.session.rollback()
    name, detail = _refusal_of(error)
    log.warning("database refused a write on %s %s: %s %s", request.method, request.path, name, detail)
    message = translated(CONSTRAINT_MESSAGES.get(name, GENERIC_CONFLICT)).format(detail=detail)
    return error_response(409, message, code="conflict")


def handle_data_error(error: DataError):
    """A value the database cannot hold (too long, out of range): 422, nothing stored."""
    from caseflow.extensions import db

    db.session.rollback()
    log.warning("database refused a value on %s %s: %s", request.method, request.path, error.orig)
    return error_response(
        422, gettext("A value is too long or out of range for what can be recorded; nothing was saved.")
    )


def handle_database_error(error: Exception):
    """The database is unreachable (503, logged once per outage), or a deadlock (409, try
    again); anything else is unexpected."""
    from caseflow.db import is_retryable
    from caseflow.extensions import db
    from caseflow.health import is_outage, unavailable_response

    if is_outage(error):
        return unavailable_response(error)
    if is_retryable(error):
        db.session.rollback()
        return error_response(
            409, gettext("Someone changed this at the same moment. Try again."), code="conflict"
        )
    return handle_unexpected(error)


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, translated(FRIENDLY_MESSAGES[500]))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(ma.ValidationError, handle_marshmallow_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(sa_exc.DBAPIError, handle_database_error)
    app.register_error_handler(sa_exc.TimeoutError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
