"""JSON and form shapes of guardian contacts."""

import marshmallow as ma
from marshmallow import validate

from caseflow.api.fields import Id
from caseflow.contacts.models import CONTACT_METHODS, CONTACT_PURPOSES


class ContactInputSchema(ma.Schema):
    link_id = Id(required=True, metadata={"description": "The student-guardian link"})
    contacted_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    method = ma.fields.String(required=True, validate=validate.OneOf(tuple(CONTACT_METHODS)))
    language = ma.fields.String(required=True, validate=validate.Length(min=2, max=3))
    reached = ma.fields.Boolean(required=True, metadata={"checkbox": True})
    purpose = ma.fields.String(load_default="general", validate=validate.OneOf(tuple(CONTACT_PURPOSES)))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    incident_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The incident the contact was about (needed for a police escalation)"},
    )


class ContactSchema(ma.Schema):
    id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    guardian_id = ma.fields.Integer()
    guardian_name = ma.fields.Function(lambda c: c.guardian.display_name)
    contacted_at = ma.fields.AwareDateTime()
    method = ma.fields.String()
    language = ma.fields.String()
    reached = ma.fields.Boolean()
    purpose = ma.fields.String()
    incident_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    notice_kind = ma.fields.String(allow_none=True, metadata={"description": "A notice sent from Caseflow"})
    delivery = ma.fields.String(allow_none=True, metadata={"description": "sent, delivered or bounced"})
    recorded_by_id = ma.fields.Integer()
    recorded_at = ma.fields.AwareDateTime()
