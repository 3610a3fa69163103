"""/api/v1/incidents: log an incident (idempotent with Idempotency-Key), read one, list them."""

from __future__ import annotations

import re
from functools import wraps
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import request, url_for
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.api.fields import page_of
from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.errors import DomainError, NotFound, ValidationFailed
from caseflow.incidents import services
from caseflow.incidents.cursors import page_url
from caseflow.incidents.intake import request_fingerprint, submit_incident
from caseflow.incidents.schemas import IncidentInputSchema, IncidentQuerySchema, IncidentSchema
from caseflow.triage.schemas import DecisionSchema, IncidentDetailSchema, OverrideInputSchema
from caseflow.triage.services import get_decision, override_decision

incidents_blp = Blueprint(
    "api_incidents", __name__, url_prefix="/api/v1/incidents", description="Behavioral incidents"
)
blueprints = (incidents_blp,)


class IncidentListItemSchema(IncidentSchema):
    status_summary = ma.fields.String(metadata={"description": "What became of it, in words"})


class IncidentPageSchema(page_of(IncidentListItemSchema, "IncidentPageBase")):
    page = ma.fields.Integer(
        allow_none=True, metadata={"description": "The page's number; null for a page reached by a cursor"}
    )
    total = ma.fields.Integer(
        metadata={
            "description": "Incidents on every page; when `total_is_lower_bound`, the count stopped "
            "and more than `total` incidents match"
        }
    )
    total_is_lower_bound = ma.fields.Boolean(
        metadata={"description": "True when more than `total` incidents match (the count stops at 1,000)"}
    )
    pages = ma.fields.Integer(
        metadata={"description": "Pages of `total` incidents (at least that many when the count stopped)"}
    )
    next = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "URL of the next (older) page, or null: by page number within the counted "
            "incidents, then with a `before` cursor"
        },
    )
    previous = ma.fields.String(
        allow_none=True, metadata={"description": "URL of the previous (newer) page, or null"}
    )


# One instance for every request (it keeps no state): not a new schema, and its nested ones, per call.
INCIDENT_INPUT = IncidentInputSchema()
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


def require_json(view):
    """Refuse a body that is not declared as JSON before trying to read it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not request.is_json:
            raise UnsupportedMediaType(
                gettext("Send the request body as JSON, with Content-Type: application/json.")
            )
        return view(*args, **kwargs)

    return wrapper


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            gettext("Invalid Idempotency-Key."),
            fields={
                "Idempotency-Key": [gettext("Use 1 to 100 letters, digits or . _ : - (a UUID is ideal).")]
            },
        )
    return key


@incidents_blp.route("")
class IncidentCollection(MethodView):
    @permission_required(Permission.INCIDENT_CREATE)
    @require_json
    @incidents_blp.arguments(INCIDENT_INPUT)
    @incidents_blp.response(201, IncidentSchema)
    @incidents_blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string"},
                "description": "A retry with the same key returns the first result; nothing is stored twice.",
            }
        ]
    )
    def post(self, data):
        """Log an incident for students of a school the caller serves."""
        key = _idempotency_key()
        # The user itself, not the proxy: the services read the actor many times.
        actor = current_user._get_current_object()
        incident, created = submit_incident(
            actor=actor,
            data=data,
            idempotency_key=key,
            request_hash=request_fingerprint(request.get_json()) if key else None,
        )
        headers = {"Location": url_for("api_incidents.IncidentItem", incident_id=incident.id)}
        if not created:
            headers["Idempotent-Replayed"] = "true"
            incident = services.get_incident_for(actor, incident.id)
        return incident, 201, headers

    @any_permission_required(Permission.INCIDENT_READ_OWN, Permission.INCIDENT_READ_SCHOOL)
    @incidents_blp.arguments(IncidentQuerySchema, location="query")
    @incidents_blp.alt_response(200, schema=IncidentPageSchema, description="A page of incidents")
    def get(self, args):
        """Incidents the caller may read, newest first: their own, and their schools' for
        administrators and auditors. Paginated with `page` and `per_page`, or by following
        `next` and `previous` (beyond the first 1,000 incidents they carry a `before` or
        `after` cursor, which stays fast however deep in the list)."""
        tz = ZoneInfo(current_user.district.time_zone)
        page = services.list_incidents(current_user, tz=tz, **args)
        items = IncidentSchema(many=True).dump(page.items)
        summaries = services.status_summaries(page.items, current_user)
        for item, incident in zip(items, page.items, strict=True):
            item["status_summary"] = summaries[incident.id]
        return {
            "items": items,
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "total_is_lower_bound": page.total_is_lower_bound,
            "pages": page.pages,
            "next": page_url(page.older),
            "previous": page_url(page.newer),
        }


@incidents_blp.route("/<int:incident_id>")
class IncidentItem(MethodView):
    @any_permission_required(Permission.INCIDENT_READ_OWN, Permission.INCIDENT_READ_SCHOOL)
    @incidents_blp.response(200, IncidentDetailSchema)
    def get(self, incident_id: int):
        """One incident the caller may read; with its triage decisions for those who review them."""
        return services.get_incident_for(current_user, incident_id)


@incidents_blp.route("/<int:incident_id>/decisions/<int:decision_id>/override")
class DecisionOverride(MethodView):
    @permission_required(Permission.DECISION_OVERRIDE)
    @require_json
    @incidents_blp.arguments(OverrideInputSchema)
    @incidents_blp.response(201, DecisionSchema)
    def post(self, data, incident_id: int, decision_id: int):
        """Replace a triage decision with a person's review: tier, routes, priority and a reason."""
        incident = services.get_incident_for(current_user, incident_id)
        decision = get_decision(decision_id)
        if decision.incident_id != incident.id:
            raise NotFound(gettext("No such decision for this incident."))
        with transaction():
            new = override_decision(actor=current_user, decision=decision, **data)
        return new
