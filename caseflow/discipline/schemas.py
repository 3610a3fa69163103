"""JSON and form shapes of disciplinary actions."""

from decimal import Decimal

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import Day, Id, blanks_to_none
from caseflow.discipline.models import DISCIPLINE_ACTIONS


class RecordedActionInputSchema(ma.Schema):
    student_id = Id(required=True, metadata={"description": "A responsible student of the incident"})
    action_code = ma.fields.String(
        required=True,
        validate=validate.OneOf(
            tuple(DISCIPLINE_ACTIONS), error=lazy_gettext("Choose one of the listed actions.")
        ),
        metadata={"description": "An Ed-Fi DisciplineDescriptor CodeValue"},
    )
    action_date = Day(required=True)
    # A number of school days (Ed-Fi keeps two decimals: 0.5 is half a day).
    length_days = ma.fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(
            min=0, max=999, error=lazy_gettext("Give a number of school days from 0 to 999.")
        ),
    )

    @ma.post_load
    def days_as_decimal(self, data, **kwargs):
        if data.get("length_days") is not None:
            data["length_days"] = Decimal(str(round(data["length_days"], 2)))
        return data

    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @ma.pre_load
    def blank_is_none(self, data, **kwargs):
        """A form sends "" for an optional field left empty."""
        return blanks_to_none(data, ("length_days", "note"))


class RecordedActionSchema(ma.Schema):
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
