"""JSON and form shapes of removal days, manifestation determination reviews, safeguards
notices, services and withdrawals."""

from decimal import Decimal

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import Day, Id, blanks_to_none, school_days
from caseflow.discipline.placement_models import NOTICE_CHANNELS, TEAM_ROLES


class RemovalSchema(ma.Schema):
    action_id = ma.fields.Integer()
    incident_id = ma.fields.Integer(allow_none=True)
    action_code = ma.fields.String()
    label = ma.fields.String()
    status = ma.fields.String()
    change_of_placement = ma.fields.Boolean()
    imported = ma.fields.Boolean(metadata={"description": "Imported history: counted, never checked"})
    first_day = ma.fields.Date(allow_none=True)
    last_day = ma.fields.Date(allow_none=True)
    days = school_days()
    running_total = school_days()


class RemovalDaysSchema(ma.Schema):
    student_id = ma.fields.Integer()
    school_year = ma.fields.String(metadata={"description": "2026-27"})
    protected = ma.fields.Boolean(metadata={"description": "An IEP or a 504 plan"})
    line = ma.fields.Integer()
    total_days = school_days()
    left_before_line = school_days(allow_none=True)
    past_line = ma.fields.Boolean()
    standing = ma.fields.String()
    removals = ma.fields.List(ma.fields.Nested(RemovalSchema))


class RemovalYearQuerySchema(ma.Schema):
    school_year = ma.fields.Integer(
        load_default=None,
        validate=validate.Range(min=1900, max=2998),
        metadata={"description": "2026 for 2026-27"},
    )


class ManifestationTeamMemberInputSchema(ma.Schema):
    role = ma.fields.String(
        required=True, validate=validate.OneOf(tuple(TEAM_ROLES), error=lazy_gettext("Choose a team role."))
    )
    user_id = Id(load_default=None, allow_none=True)
    guardian_id = Id(load_default=None, allow_none=True)


class ManifestationReviewInputSchema(ma.Schema):
    meets_on = Day(required=True)
    team = ma.fields.List(
        ma.fields.Nested(ManifestationTeamMemberInputSchema), required=True, validate=validate.Length(max=30)
    )


class ManifestationDeterminationInputSchema(ma.Schema):
    caused_by_disability = ma.fields.Boolean(required=True)
    failed_to_implement_iep = ma.fields.Boolean(required=True)
    what_follows = ma.fields.String(required=True, validate=validate.Length(min=1, max=4000))
    interim_setting_days = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=45)
    )

    @ma.pre_load
    def blank_is_none(self, data, **kwargs):
        return blanks_to_none(data, ("interim_setting_days",))


class ManifestationTeamMemberSchema(ma.Schema):
    role = ma.fields.String()
    user_id = ma.fields.Integer(allow_none=True)
    guardian_id = ma.fields.Integer(allow_none=True)


class ManifestationReviewSchema(ma.Schema):
    id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    status = ma.fields.String()
    decision_day = ma.fields.Date()
    due_on = ma.fields.Date()
    meets_on = ma.fields.Date()
    caused_by_disability = ma.fields.Boolean(allow_none=True)
    failed_to_implement_iep = ma.fields.Boolean(allow_none=True)
    is_manifestation = ma.fields.Boolean(allow_none=True)
    interim_setting_days = ma.fields.Integer(allow_none=True)
    what_follows = ma.fields.String(allow_none=True)
    decided_on = ma.fields.Date(allow_none=True)
    team = ma.fields.List(ma.fields.Nested(ManifestationTeamMemberSchema))


class RemovalWithdrawalInputSchema(ma.Schema):
    # A number of school days already served (0.5 is half a day); read as a float so the API
    # document states its bounds as numbers, kept as a Decimal of two places.
    served_days = ma.fields.Float(
        load_default=0,
        allow_nan=False,
        validate=validate.Range(
            min=0, max=999, error=lazy_gettext("Give a number of school days from 0 to 999.")
        ),
    )

    @ma.post_load
    def days_as_decimal(self, data, **kwargs):
        data["served_days"] = Decimal(str(round(data["served_days"], 2)))
        return data


class SafeguardsNoticeInputSchema(ma.Schema):
    guardian_id = Id(required=True)
    channel = ma.fields.String(
        required=True, validate=validate.OneOf(tuple(NOTICE_CHANNELS), error=lazy_gettext("Choose how."))
    )
    given_on = Day(required=True)


class SafeguardsNoticeSchema(ma.Schema):
    id = ma.fields.Integer()
    action_id = ma.fields.Integer()
    guardian_id = ma.fields.Integer()
    channel = ma.fields.String()
    given_on = ma.fields.Date()


class RemovalServicesInputSchema(ma.Schema):
    first_day = Day(required=True)
    last_day = Day(required=True)
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RemovalServicesSchema(ma.Schema):
    id = ma.fields.Integer()
    action_id = ma.fields.Integer()
    first_day = ma.fields.Date()
    last_day = ma.fields.Date()
    description = ma.fields.String()


class FollowUpCompletionInputSchema(ma.Schema):
    done_on = Day(required=True, metadata={"description": "The day the assessment or plan was done"})


class FollowUpSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "fba or bip"})
    label = ma.fields.String()
    due_on = ma.fields.Date()
    done_on = ma.fields.Date(allow_none=True)
    owner_id = ma.fields.Integer(allow_none=True)
