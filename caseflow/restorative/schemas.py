"""JSON and form shapes of restorative processes and of each action's input."""

import marshmallow as ma
from marshmallow import validate

from caseflow.api.fields import Id
from caseflow.restorative.models import CONSENTS, PARTY_ROLES, PROCESS_OUTCOMES

TEXT = validate.Length(max=10000)


class BeginInput(ma.Schema):
    harm = ma.fields.String(required=True, validate=TEXT)
    incident_id = Id(load_default=None, allow_none=True)


class PartyInput(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(tuple(PARTY_ROLES)))
    name = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    student_id = Id(load_default=None, allow_none=True)
    student = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "A student by name or student number, instead of student_id"},
    )


class PreMeetingInput(ma.Schema):
    party_id = Id(required=True)
    met_at = ma.fields.AwareDateTime(required=True)
    consent = ma.fields.String(required=True, validate=validate.OneOf(tuple(CONSENTS)))
    note = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)


class ConferenceInput(ma.Schema):
    held_at = ma.fields.AwareDateTime(required=True)
    facilitator_id = Id(required=True)
    attendee_ids = ma.fields.List(Id(), required=True)
    summary = ma.fields.String(required=True, validate=TEXT)


class ItemInput(ma.Schema):
    description = ma.fields.String(required=True, validate=TEXT)
    owner_party_id = Id(required=True)
    due_on = ma.fields.Date(required=True)


class SettleInput(ma.Schema):
    item_id = Id(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(("done", "failed")))
    note = ma.fields.String(load_default=None, allow_none=True, validate=TEXT)


class RestorativeCloseInput(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(tuple(PROCESS_OUTCOMES)))
    note = ma.fields.String(required=True, validate=TEXT)


class PartySchema(ma.Schema):
    id = ma.fields.Integer()
    role = ma.fields.String()
    name = ma.fields.String()
    student_id = ma.fields.Integer(allow_none=True)
    pre_meeting_at = ma.fields.AwareDateTime(allow_none=True)
    consent = ma.fields.String(allow_none=True)
    attended = ma.fields.Boolean()


class ItemSchema(ma.Schema):
    id = ma.fields.Integer()
    description = ma.fields.String()
    owner_party_id = ma.fields.Integer()
    due_on = ma.fields.Date()
    status = ma.fields.String()
    status_note = ma.fields.String(allow_none=True)
    settled_at = ma.fields.AwareDateTime(allow_none=True)


class ProcessSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer(metadata={"description": "The case the process was begun from"})
    case_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "Every student's case the process serves (one process per conflict)"},
    )
    student_id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    harm = ma.fields.String()
    status = ma.fields.String()
    started_at = ma.fields.AwareDateTime()
    conference_at = ma.fields.AwareDateTime(allow_none=True)
    facilitator_id = ma.fields.Integer(allow_none=True)
    conference_summary = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    outcome_note = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    parties = ma.fields.List(ma.fields.Nested(PartySchema))
    items = ma.fields.List(ma.fields.Nested(ItemSchema))
    missing_for_conference = ma.fields.Method("_missing")
    version = ma.fields.Integer()

    def _missing(self, process) -> list[str]:
        from caseflow.restorative.services import conference_problems

        return conference_problems(process) if process.status == "preparing" else []
