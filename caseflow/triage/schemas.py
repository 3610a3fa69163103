"""JSON shapes of triage decisions and overrides."""

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.incidents.schemas import IncidentSchema
from caseflow.triage.facts import ROUTES
from caseflow.triage.models import PRIORITIES


class DecisionSchema(ma.Schema):
    id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    kind = ma.fields.String()
    tier = ma.fields.Integer()
    routes = ma.fields.List(ma.fields.String())
    priority = ma.fields.String()
    explanation = ma.fields.Method("_explain")
    notes = ma.fields.List(ma.fields.List(ma.fields.String()))
    matches = ma.fields.Raw()
    ruleset_version = ma.fields.String(allow_none=True)
    ruleset_hash = ma.fields.String(allow_none=True)
    decided_at = ma.fields.AwareDateTime()
    decided_by_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    replaces_id = ma.fields.Integer(allow_none=True)

    def _explain(self, decision):
        from caseflow.triage.services import explain

        return explain(decision)


class OverrideInputSchema(ma.Schema):
    tier = ma.fields.Integer(required=True, strict=True, validate=validate.OneOf((1, 2, 3)))
    routes = ma.fields.List(ma.fields.String(validate=validate.OneOf(tuple(ROUTES))), required=True)
    priority = ma.fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    reason = ma.fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=2000,
            error=lazy_gettext("Write why you are changing the decision (up to 2000 characters)."),
        ),
    )

    @ma.pre_load
    def strip_reason(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("reason"), str):
            data = {**data, "reason": data["reason"].strip()}
        return data


class IncidentDetailSchema(IncidentSchema):
    """An incident with what happened next: the reporter's summary, and the triage decisions
    for the people who review them (never for the reporter alone)."""

    status_summary = ma.fields.Method("_summary")
    decisions = ma.fields.Method("_decisions")

    def _summary(self, incident):
        from flask_login import current_user

        from caseflow.incidents.services import status_summary

        return status_summary(incident, current_user)

    def _decisions(self, incident):
        from flask_login import current_user

        from caseflow.incidents.policy import can_see_decisions
        from caseflow.triage.services import current_decisions

        if not can_see_decisions(current_user):
            return None
        return DecisionSchema(many=True).dump(current_decisions([incident.id])[incident.id])
