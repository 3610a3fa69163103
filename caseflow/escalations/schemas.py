"""JSON shapes of escalations, their checklist, and the input of each action."""

import marshmallow as ma
from marshmallow import validate

from caseflow.api.fields import Id
from caseflow.escalations.models import ESCALATION_STATUSES, OUTCOMES, REVIEW_KINDS

TEXT = validate.Length(max=10000)


class RequestInput(ma.Schema):
    student_id = Id(required=True)
    incident_id = Id(required=True)
    criteria = ma.fields.List(ma.fields.String(validate=validate.Length(max=60)), required=True)
    justification = ma.fields.String(required=True, validate=TEXT)


class PreviewInput(ma.Schema):
    student_id = Id(required=True)
    incident_id = Id(required=True)
    criteria = ma.fields.List(ma.fields.String(validate=validate.Length(max=60)), load_default=list)


class ReviewInput(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(tuple(REVIEW_KINDS)))
    text = ma.fields.String(required=True, validate=TEXT)
    police_necessary = ma.fields.Boolean(load_default=None, allow_none=True)


class ApproveInput(ma.Schema):
    version = Id(load_default=None, allow_none=True)


class EscalationCloseInput(ma.Schema):
    to = ma.fields.String(required=True, validate=validate.OneOf(("denied", "withdrawn")))
    note = ma.fields.String(required=True, validate=TEXT)


class ReferralInput(ma.Schema):
    agency = ma.fields.String(required=True, validate=validate.Length(max=200))
    officer = ma.fields.String(required=True, validate=validate.Length(max=200))
    referred_at = ma.fields.AwareDateTime(required=True)
    officer_user_id = Id(load_default=None, allow_none=True)


class OutcomeInput(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(tuple(OUTCOMES)))
    note = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)


class EmergencyInput(ma.Schema):
    student_id = Id(required=True)
    called_at = ma.fields.AwareDateTime(required=True)
    caller = ma.fields.String(required=True, validate=validate.Length(max=200))
    what_happened = ma.fields.String(required=True, validate=TEXT)
    agency = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    incident_id = Id(load_default=None, allow_none=True)
    justification = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)


class EmergencyUpdateInput(ma.Schema):
    justification = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)
    guardian_contact_id = Id(load_default=None, allow_none=True)
    review_note = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)
    outcome = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(tuple(OUTCOMES)))


class CheckSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    met = ma.fields.Boolean(allow_none=True)
    details = ma.fields.List(ma.fields.String())


class ChecklistSchema(ma.Schema):
    checks = ma.fields.List(ma.fields.Nested(CheckSchema))
    criteria_met = ma.fields.List(ma.fields.String())
    missing = ma.fields.List(ma.fields.String())


class ReviewSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    author_id = ma.fields.Integer()
    written_at = ma.fields.AwareDateTime()
    text = ma.fields.String()
    police_necessary = ma.fields.Boolean(allow_none=True)


class RefusalSchema(ma.Schema):
    id = ma.fields.Integer()
    stage = ma.fields.String()
    actor_id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    reasons = ma.fields.List(ma.fields.String())


class EscalationSchema(ma.Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    incident_id = ma.fields.Integer()
    criteria = ma.fields.List(ma.fields.String())
    justification = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(ESCALATION_STATUSES)})
    rules_version = ma.fields.String()
    requested_by_id = ma.fields.Integer()
    requested_at = ma.fields.AwareDateTime()
    approved_by_id = ma.fields.Integer(allow_none=True)
    approved_at = ma.fields.AwareDateTime(allow_none=True)
    guardian_contact_id = ma.fields.Integer(allow_none=True)
    criteria_met = ma.fields.List(ma.fields.String(), allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    close_note = ma.fields.String(allow_none=True)
    referral_agency = ma.fields.String(allow_none=True)
    referral_officer = ma.fields.String(allow_none=True)
    referred_at = ma.fields.AwareDateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    outcome_at = ma.fields.AwareDateTime(allow_none=True)
    reviews = ma.fields.List(ma.fields.Nested(ReviewSchema))
    refusals = ma.fields.List(ma.fields.Nested(RefusalSchema))
    version = ma.fields.Integer()


class ReferralViewSchema(ma.Schema):
    """What a school resource officer sees of a referral made to them, and nothing else."""

    id = ma.fields.Integer()
    student_name = ma.fields.Function(lambda e: e.student.display_name)
    school = ma.fields.Function(lambda e: e.school.name)
    criteria_met = ma.fields.List(ma.fields.String())
    referral_agency = ma.fields.String()
    referral_officer = ma.fields.String()
    referred_at = ma.fields.AwareDateTime()
    outcome = ma.fields.String(allow_none=True)


class EmergencySchema(ma.Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    called_at = ma.fields.AwareDateTime()
    caller = ma.fields.String()
    agency = ma.fields.String(allow_none=True)
    what_happened = ma.fields.String()
    justification = ma.fields.String(allow_none=True)
    justification_due_at = ma.fields.AwareDateTime()
    guardian_contact_id = ma.fields.Integer(allow_none=True)
    reviewed_at = ma.fields.AwareDateTime(allow_none=True)
    review_note = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    flagged_for_review = ma.fields.Function(lambda r: r.reviewed_at is None)
    version = ma.fields.Integer()
