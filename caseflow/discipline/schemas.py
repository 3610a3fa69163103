"""JSON and form shapes of disciplinary actions."""

from decimal import Decimal

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import Day, Id, blanks_to_none, school_days
from caseflow.discipline.models import ACTION_LABELS
from caseflow.discipline.placement import PATTERN_QUESTIONS


class PatternAnswersSchema(ma.Schema):
    """The pattern questions of 34 CFR 300.536(a)(2), for a student with an IEP or 504 plan."""

    similar_behavior = ma.fields.Boolean(
        required=True, metadata={"description": PATTERN_QUESTIONS["similar_behavior"]}
    )
    length_total_proximity = ma.fields.Boolean(
        required=True, metadata={"description": PATTERN_QUESTIONS["length_total_proximity"]}
    )
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


def pattern_from_form(data):
    if not hasattr(data, "get") or "pattern_answers" in data:
        return data
    keys = [f"pattern_{key}" for key in PATTERN_QUESTIONS]
    if not any(data.get(k) for k in keys):
        return {k: v for k, v in data.items() if not k.startswith("pattern_")}
    answers = {key: data.get(f"pattern_{key}") for key in PATTERN_QUESTIONS}
    answers["note"] = data.get("pattern_note") or None
    return {**{k: v for k, v in data.items() if not k.startswith("pattern_")}, "pattern_answers": answers}


GATE_ANSWERS = ("supports_tried", "no_supports_reason", "in_school_alternative_reason", "harsher_reason")


class RecordedActionInputSchema(ma.Schema):
    student_id = Id(required=True, metadata={"description": "A responsible student of the incident"})
    action_code = ma.fields.String(
        required=True,
        validate=validate.OneOf(
            tuple(ACTION_LABELS), error=lazy_gettext("Choose one of the listed actions.")
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
    # The exclusion gate's answers (discipline/gate.py): asked of an out-of-school suspension or
    # an expulsion, and harsher_reason of a choice harsher than most comparable decisions.
    supports_tried = ma.fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Ids of the student's intervention plans already tried"},
    )
    no_supports_reason = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    in_school_alternative_reason = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    harsher_reason = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    end_date = Day(load_default=None, allow_none=True, metadata={"description": "The removal's last day"})
    pattern_answers = ma.fields.Nested(PatternAnswersSchema, load_default=None, allow_none=True)

    @ma.pre_load
    def blank_is_none(self, data, **kwargs):
        """A form sends "" for an optional field left empty, and the pattern questions as
        pattern_<question> = yes / no."""
        data = blanks_to_none(
            data,
            (
                "length_days",
                "note",
                "end_date",
                "no_supports_reason",
                "in_school_alternative_reason",
                "harsher_reason",
            ),
        )
        return pattern_from_form(data)

    @ma.post_load
    def gate_answers(self, data, **kwargs):
        data["answers"] = {k: data.pop(k) for k in GATE_ANSWERS}
        return data


class RecordedActionSchema(ma.Schema):
    id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    student_id = ma.fields.Integer()
    action_code = ma.fields.String()
    label = ma.fields.String()
    action_date = ma.fields.Date()
    length_days = school_days(allow_none=True)
    actual_length_days = school_days(allow_none=True)
    note = ma.fields.String(allow_none=True)
    recorded_by_id = ma.fields.Integer(allow_none=True)
    recorded_at = ma.fields.AwareDateTime()
    takes_effect = ma.fields.Boolean()
    approval = ma.fields.String(
        allow_none=True, metadata={"description": "pending, approved, denied or null"}
    )
    approved_by_id = ma.fields.Integer(allow_none=True)
    supports_tried = ma.fields.List(ma.fields.Integer(), allow_none=True)
    no_supports_reason = ma.fields.String(allow_none=True)
    in_school_alternative_reason = ma.fields.String(allow_none=True)
    harsher_reason = ma.fields.String(allow_none=True)
    end_date = ma.fields.Date(allow_none=True)
    status = ma.fields.String(metadata={"description": "in_effect, provisional, withdrawn or ended"})
    change_of_placement = ma.fields.Boolean()
    placement_reason = ma.fields.String(allow_none=True)
    review_due_on = ma.fields.Date(allow_none=True)
    manifestation_review_id = ma.fields.Integer(allow_none=True)


class ApprovalInputSchema(ma.Schema):
    approve = ma.fields.Boolean(required=True, metadata={"description": "true approves, false denies"})
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @ma.pre_load
    def blank_is_none(self, data, **kwargs):
        return blanks_to_none(data, ("note",))
