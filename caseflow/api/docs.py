"""The API's documentation: the error responses every operation can give, written into the
OpenAPI document, and the API explorer page (Swagger UI, served from static/vendor/).

Errors are documented from what the code does, not by hand on each view:
- 401 for every operation (all of them need a bearer token; see the permission decorators);
- 403 when the operation needs a permission;
- 404 when the path names a record;
- 409 for writes (a record changed by someone else at the same moment, a reused key);
- 422 when the operation reads a body or query parameters.
Each uses the shared error schema (caseflow.api.ErrorSchema).
"""

from __future__ import annotations

from http import HTTPStatus

from apispec import BasePlugin
from flask import current_app, render_template, url_for

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _view_method(app, rule, method: str):
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method, None) if view_class is not None else view


def error_statuses(app, rule, method: str, operation: dict) -> list[int]:
    """The error statuses an operation can answer with (see the module docstring)."""
    handler = _view_method(app, rule, method)
    permissions = getattr(handler, "required_permissions", None)
    statuses = []
    if permissions is not None:
        statuses.append(401)
    if permissions:
        statuses.append(403)
    if rule.arguments:
        statuses.append(404)
    if method in WRITE_METHODS:
        statuses.append(409)
    reads_query = any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict))
    if "requestBody" in operation or reads_query:
        statuses.append(422)
    return statuses


class ErrorResponsesPlugin(BasePlugin):
    """apispec plugin adding the documented error responses to each operation of `app`."""

    def __init__(self, app):
        self.app = app

    def init_spec(self, spec) -> None:
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(self.app, rule, method, operation):
                if str(status) not in responses and status not in responses:
                    responses[str(status)] = self.spec.components.get_ref("response", HTTPStatus(status).name)


def render_explorer(api):
    """The explorer page: the bundle and stylesheet from OPENAPI_SWAGGER_UI_URL, started by
    static/js/api-explorer.js (the CSP allows no inline script)."""
    return render_template(
        "api/explorer.html",
        title=api.spec.title,
        spec_url=url_for(f"{api._make_doc_blueprint_name()}.openapi_json"),
        swagger_ui_url=current_app.config["OPENAPI_SWAGGER_UI_URL"],
    )
