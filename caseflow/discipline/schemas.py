"""JSON and form shapes of disciplinary actions."""

import marshmallow as ma
from marshmallow import validate

from caseflow.discipline.models import DISCIPLINE_ACTIONS


class DisciplineActionInputSchema(ma.Schema):
    student_id = ma.fields.Integer(
        required=True, metadata={"description": "A responsible student of the incident"}
    )
    action_code = ma.fields.String(
        required=True,
        validate=validate.OneOf(tuple(DISCIPLINE_ACTIONS), error="Choose one of the listed actions."),
        metadata={"description": "An Ed-Fi DisciplineDescriptor CodeValue"},
    )
    action_date = ma.fields.Date(required=True)
    length_days = ma.fields.Decimal(
        load_default=None,
        allow_none=True,
        places=2,
        as_string=True,
        validate=validate.Range(min=0, max=999, error="Give a number of school days from 0 to 999."),
    )
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @ma.pre_load
    def blank_is_none(self, data, **kwargs):
        """A form sends "" for an optional field left empty."""
        if isinstance(data, dict):
            data = {k: (None if k in ("length_days", "note") and v == "" else v) for k, v in data.items()}
        return data


class DisciplineActionSchema(ma.Schema):
    id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    student_id = ma.fields.Integer()
    action_code = ma.fields.String()
    label = ma.fields.String()
    action_date = ma.fields.Date()
    length_days = ma.fields.Decimal(places=2, as_string=True, allow_none=True)
    actual_length_days = ma.fields.Decimal(places=2, as_string=True, allow_none=True)
    note = ma.fields.String(allow_none=True)
    recorded_by_id = ma.fields.Integer(allow_none=True)
    recorded_at = ma.fields.AwareDateTime()
