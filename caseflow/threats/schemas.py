"""JSON and form shapes of threat assessments and of each step's input."""

import marshmallow as ma
from marshmallow import validate

from caseflow.api.fields import Id
from caseflow.contacts.models import CONTACT_METHODS
from caseflow.threats.models import (
    PLAN_REVIEWS,
    RESOLUTIONS,
    SEVERITIES,
    STATEMENT_SOURCES,
    TEAM_CAPACITIES,
    THREAT_TYPES,
)

TEXT = validate.Length(max=10000)
NAME = validate.Length(max=200)


class TeamMemberInput(ma.Schema):
    user_id = Id(required=True)
    capacity = ma.fields.String(required=True, validate=validate.OneOf(tuple(TEAM_CAPACITIES)))


class StatementInput(ma.Schema):
    source = ma.fields.String(required=True, validate=validate.OneOf(tuple(STATEMENT_SOURCES)))
    speaker = ma.fields.String(required=True, validate=NAME)
    exact_words = ma.fields.String(required=True, validate=TEXT)
    context = ma.fields.String(required=True, validate=TEXT)


class ClassificationInput(ma.Schema):
    threat_type = ma.fields.String(required=True, validate=validate.OneOf(tuple(THREAT_TYPES)))
    reason = ma.fields.String(required=True, validate=TEXT)
    resolution_kind = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(RESOLUTIONS))
    )
    resolution = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)


class ResponseInput(ma.Schema):
    severity = ma.fields.String(required=True, validate=validate.OneOf(tuple(SEVERITIES)))
    protective_actions = ma.fields.String(required=True, validate=TEXT)
    no_identified_victim = ma.fields.Boolean(load_default=False, metadata={"checkbox": True})


class VictimInput(ma.Schema):
    description = ma.fields.String(required=True, validate=validate.Length(max=300))
    victim_student_id = Id(load_default=None, allow_none=True)
    victim_student = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "A student by name or student number, instead of victim_student_id"},
    )


class WarningInput(ma.Schema):
    victim_id = Id(required=True)
    note = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)
    link_id = Id(load_default=None, allow_none=True)
    contacted_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    method = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(CONTACT_METHODS))
    )
    language = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3))
    reached = ma.fields.Boolean(load_default=False, metadata={"checkbox": True})


class SummaryInput(ma.Schema):
    summary = ma.fields.String(required=True, validate=TEXT)


class SafetyPlanInput(ma.Schema):
    plan = ma.fields.String(required=True, validate=TEXT)
    monitoring_dates = ma.fields.List(ma.fields.Date(), load_default=list)


class PlanReviewInput(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(tuple(PLAN_REVIEWS)))
    summary = ma.fields.String(required=True, validate=TEXT)


class MonitoringInput(ma.Schema):
    monitoring_id = Id(required=True)
    note = ma.fields.String(required=True, validate=TEXT)


class EmptyInput(ma.Schema):
    pass


class TeamMemberSchema(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.Function(lambda m: m.user.full_name)
    capacity = ma.fields.String()
    added_at = ma.fields.AwareDateTime()


class StatementSchema(ma.Schema):
    id = ma.fields.Integer()
    source = ma.fields.String()
    speaker = ma.fields.String()
    exact_words = ma.fields.String()
    context = ma.fields.String()
    recorded_by_id = ma.fields.Integer()
    recorded_at = ma.fields.AwareDateTime()


class VictimSchema(ma.Schema):
    id = ma.fields.Integer()
    victim_student_id = ma.fields.Integer(allow_none=True)
    description = ma.fields.String()
    warned = ma.fields.Boolean()
    warned_at = ma.fields.AwareDateTime(allow_none=True)
    warning_contact_id = ma.fields.Integer(allow_none=True)
    warned_note = ma.fields.String(allow_none=True)


class MonitoringSchema(ma.Schema):
    id = ma.fields.Integer()
    due_on = ma.fields.Date()
    done_at = ma.fields.AwareDateTime(allow_none=True)
    note = ma.fields.String(allow_none=True)


class AssessmentSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    routed_at = ma.fields.AwareDateTime()
    must_start_by = ma.fields.AwareDateTime()
    started_at = ma.fields.AwareDateTime(allow_none=True)
    classification = ma.fields.String(allow_none=True)
    threat_type = ma.fields.String(allow_none=True)
    severity = ma.fields.String(allow_none=True)
    classification_reason = ma.fields.String(allow_none=True)
    resolution_kind = ma.fields.String(allow_none=True)
    resolution = ma.fields.String(allow_none=True)
    protective_actions = ma.fields.String(allow_none=True)
    no_identified_victim = ma.fields.Boolean()
    law_enforcement_consultation = ma.fields.Boolean()
    safety_evaluation = ma.fields.String(allow_none=True)
    mental_health_evaluation = ma.fields.String(allow_none=True)
    safety_plan = ma.fields.String(allow_none=True)
    plan_review_kind = ma.fields.String(allow_none=True)
    plan_review = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    close_summary = ma.fields.String(allow_none=True)
    team = ma.fields.List(ma.fields.Nested(TeamMemberSchema))
    statements = ma.fields.List(ma.fields.Nested(StatementSchema))
    victims = ma.fields.List(ma.fields.Nested(VictimSchema))
    monitoring = ma.fields.List(ma.fields.Nested(MonitoringSchema))
    missing_to_close = ma.fields.Method("_missing_to_close")
    version = ma.fields.Integer()

    def _missing_to_close(self, assessment) -> list[str]:
        from caseflow.threats.services import closing_problems

        return closing_problems(assessment)
