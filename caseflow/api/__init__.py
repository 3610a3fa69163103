"""The JSON API under /api/v1: flask-smorest for schemas and the OpenAPI document,
bearer-token authentication, and the shared error shape.

The API accepts personal access tokens only (`Authorization: Bearer cf_...`), never the
browser's session cookie, so no API call can be forged from another site and the API
needs no CSRF token.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Flask, g, request
from flask_smorest import Api as SmorestApi

from caseflow.api.docs import ErrorResponsesPlugin, render_explorer
from caseflow.auth.services import user_for_token
from caseflow.errors import json_error
from caseflow.extensions import db

API_PREFIX = "/api/v1"


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={
            "description": "Per-field messages; a field inside a list or object is named by its path, "
            "such as behaviors.0 or students.1.student_id"
        },
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema)


class Api(SmorestApi):
    """flask-smorest's Api with Caseflow's error shape (see caseflow.errors)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # caseflow.errors registers the handlers for the whole app, API and pages alike.
        pass

    def _openapi_swagger_ui(self):
        """The API explorer: our page (scripts in files, as the CSP requires), local assets only."""
        return render_explorer(self)


api = Api(
    spec_kwargs={
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal access token"}
            }
        },
        "security": [{"bearerAuth": []}],
    }
)


def authenticate_api_request():
    """Before every /api/ request: the bearer token, and nothing else, decides who is calling."""
    if not request.path.startswith("/api/") or g.get("api_caller_known"):
        return None
    from caseflow.extensions import login_manager

    g.api_caller_known = True  # once per request (the read-only guard may ask first)

    g._login_user = login_manager.anonymous_user()
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        user = user_for_token(secret.strip())
        if db.session.dirty:  # the token's last use is recorded every few minutes, not per call
            db.session.commit()
        if user is None:
            return json_error(
                401,
                "The API token is unknown, revoked or expired.",
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        g._login_user = user
    return None


def init_api(app: Flask) -> None:
    from caseflow.auth import api as auth_api
    from caseflow.cases import api as cases_api
    from caseflow.contacts import api as contacts_api
    from caseflow.discipline import api as discipline_api
    from caseflow.escalations import api as escalations_api
    from caseflow.exports import api as exports_api
    from caseflow.extensions import csrf
    from caseflow.incidents import api as incidents_api
    from caseflow.notices import api as notices_api
    from caseflow.people import api as people_api
    from caseflow.reports import api as reports_api
    from caseflow.reports import reach_api
    from caseflow.restorative import api as restorative_api
    from caseflow.threats import api as threats_api

    api.init_app(app, spec_kwargs={"extra_plugins": [ErrorResponsesPlugin(app)]})
    app.before_request(authenticate_api_request)
    for blp in (
        *auth_api.blueprints,
        *people_api.blueprints,
        *incidents_api.blueprints,
        *cases_api.blueprints,
        *contacts_api.blueprints,
        *notices_api.blueprints,
        *threats_api.blueprints,
        *restorative_api.blueprints,
        *escalations_api.blueprints,
        *discipline_api.blueprints,
        *reports_api.blueprints,
        *reach_api.blueprints,
        *exports_api.blueprints,
    ):
        csrf.exempt(blp)
        api.register_blueprint(blp)
