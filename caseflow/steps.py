"""One table of the actions on a workflow record (a threat assessment, a restorative process),
served both as JSON API endpoints and as HTML form posts, validated by the same schemas.

A `Step` names its URL segment, its input schema and the service function that runs it;
`api_routes()` and `form_route()` turn a tuple of steps into routes. The service function is
called as `run(actor=..., target=..., **values)` inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import abort, flash, redirect, request
from flask.views import MethodView
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.forms import form_errors
from caseflow.labels import translated


@dataclass(frozen=True)
class Step:
    name: str
    schema: type[ma.Schema]
    run: Callable
    done: str  # what the person is told when it worked


def api_routes(blp, rule: str, steps, *, permission, load_target, response_schema, dump) -> None:
    """POST `{rule}/{step.name}` for each step: JSON in, the whole record (response_schema) out."""
    from caseflow.incidents.api import require_json

    for step in steps:

        def post(self, data, case_id: int, _step=step):
            target = load_target(current_user, case_id)
            with transaction():
                _step.run(actor=current_user, target=target, **data)
            return dump(target)

        post.__doc__ = (step.run.__doc__ or step.done).strip().splitlines()[0]
        post = blp.response(200, response_schema)(post)
        post = blp.arguments(step.schema)(post)
        post = require_json(post)
        post = permission_required(permission)(post)
        view = type(f"{step.name.title().replace('-', '')}Step", (MethodView,), {"post": post})
        blp.route(f"{rule}/{step.name}", endpoint=f"{blp.name}_{step.name}")(view)


def form_payload(schema: ma.Schema, tz: ZoneInfo) -> dict:
    """A posted form as the schema's input: lists from repeated fields, ticked checkboxes as
    booleans, local date-times (datetime-local inputs) in the school's time zone."""
    payload: dict = {}
    for name, field in schema.fields.items():
        if isinstance(field, ma.fields.List):
            payload[name] = [v for v in request.form.getlist(name) if v != ""]
        elif isinstance(field, ma.fields.Boolean) and field.metadata.get("checkbox"):
            payload[name] = name in request.form
        elif name in request.form:
            value = request.form[name]
            if isinstance(field, ma.fields.AwareDateTime) and value:
                try:
                    value = datetime.fromisoformat(value).replace(tzinfo=tz).isoformat()
                except ValueError:
                    pass
            if value == "" and field.allow_none:
                value = None
            if value != "" or field.required:
                payload[name] = value
    return payload


def form_route(bp, rule: str, steps, *, permission, load_target, render, tz_of, back) -> None:
    """POST `{rule}/<step>`: run the step from a form; on a refusal show the page again with
    the errors and everything typed, under the step's name."""
    by_name = {s.name: s for s in steps}

    def view(case_id: int, step: str):
        chosen = by_name.get(step) or abort(404)
        target = load_target(current_user, case_id)
        schema = chosen.schema()
        raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            values = schema.load(form_payload(schema, tz_of(target)))
            with transaction():
                chosen.run(actor=current_user, target=target, **values)
        except ma.ValidationError as exc:
            return render(target, errors={step: form_errors(exc)}, raw={step: raw}, status=422)
        except DomainError as exc:
            errors = dict(exc.fields or {})
            errors.setdefault("_schema", [exc.message])
            return render(target, errors={step: errors}, raw={step: raw}, status=exc.status)
        flash(translated(chosen.done), "info")
        return redirect(back(target))

    view.__name__ = f"{bp.name}_step"
    bp.add_url_rule(f"{rule}/<step>", view_func=permission_required(permission)(view), methods=["POST"])
