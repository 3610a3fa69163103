"""JSON shapes of the reports."""

import marshmallow as ma
from flask_babel import gettext
from marshmallow import validate

from caseflow.api.fields import PAGE, Day, Id
from caseflow.escalations.models import OUTCOMES
from caseflow.reports.escalation_audit import FLAGS, KINDS

_YEAR = {
    "validate": validate.Range(min=2000, max=2100),
    "metadata": {"description": "First year of the school year (2026 = 2026-27)"},
}


class YearQuerySchema(ma.Schema):
    year = ma.fields.Integer(**_YEAR)
    school_id = Id()


class CivilRightsQuerySchema(YearQuerySchema):
    exact = ma.fields.Boolean(
        load_default=False, metadata={"description": "Exact counts instead of published (small cells hidden)"}
    )


class AuditQuerySchema(ma.Schema):
    school_id = Id()
    kind = ma.fields.String(validate=validate.OneOf(tuple(KINDS)))
    outcome = ma.fields.String(validate=validate.OneOf(tuple(OUTCOMES)))
    flag = ma.fields.String(validate=validate.OneOf(tuple(FLAGS)))
    since = Day()
    until = Day()
    page = ma.fields.Integer(load_default=1, validate=PAGE)

    @ma.validates_schema
    def dates_in_order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ma.ValidationError(gettext("Must not be after until."), "since")


class CrdcRowSchema(ma.Schema):
    block = ma.fields.String()
    sex = ma.fields.String()
    cells = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(allow_none=True))
    total = ma.fields.Integer(allow_none=True)
    english_learners = ma.fields.Integer(allow_none=True)


class CrdcMeasureSchema(ma.Schema):
    instances = ma.fields.Integer(allow_none=True, metadata={"description": "null: hidden (small)"})
    students = ma.fields.Integer(allow_none=True)
    not_reportable = ma.fields.Integer(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(CrdcRowSchema))


class CrdcSchoolSchema(ma.Schema):
    school_id = Id()
    school_code = ma.fields.String()
    school_name = ma.fields.String()
    referrals = ma.fields.Nested(CrdcMeasureSchema)
    arrests = ma.fields.Nested(CrdcMeasureSchema)


class CivilRightsSchema(ma.Schema):
    school_year = ma.fields.Integer()
    suppressed_below = ma.fields.Integer(allow_none=True, metadata={"description": "null: exact counts"})
    schools = ma.fields.List(ma.fields.Nested(CrdcSchoolSchema))


class RatioRowSchema(ma.Schema):
    grouping = ma.fields.String(
        metadata={"description": "race_ethnicity, disability, english_learner or sex"}
    )
    group = ma.fields.String(
        metadata={
            "description": "a race/ethnicity code, idea, section_504 (504 only), english_learner, "
            "sex_F, sex_M, sex_X"
        }
    )
    race = ma.fields.String(
        allow_none=True, metadata={"description": "the group's code; null: not a race group"}
    )
    label = ma.fields.String()
    students = ma.fields.Integer()
    with_outcome = ma.fields.Integer()
    risk = ma.fields.Float(allow_none=True)
    comparison_risk = ma.fields.Float(allow_none=True)
    ratio = ma.fields.Float(allow_none=True)
    method = ma.fields.String(metadata={"description": "RR, ARR, or why no ratio was calculated"})
    alert = ma.fields.Boolean(metadata={"description": "the ratio is strictly over alert_ratio"})


class AreaSchema(ma.Schema):
    name = ma.fields.String()
    school_id = ma.fields.Integer(allow_none=True)
    students = ma.fields.Integer()
    outcomes = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(RatioRowSchema))
    )
    students_with_disabilities = ma.fields.Integer(
        metadata={"description": "students in IDEA on at least one day of the school year"}
    )
    idea_discipline = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Nested(RatioRowSchema)),
        metadata={
            "description": "34 CFR 300.647(b)(4) categories (oss_10_or_fewer, oss_over_10, iss_10_or_fewer, "
            "iss_over_10, all_removals): students with disabilities by race/ethnicity, each group "
            "against all other students with disabilities"
        },
    )


class DisparitySchema(ma.Schema):
    school_year = ma.fields.Integer()
    min_cell = ma.fields.Integer()
    min_n = ma.fields.Integer()
    alert_ratio = ma.fields.Float()
    idea_min_cell = ma.fields.Integer()
    idea_min_n = ma.fields.Integer()
    areas = ma.fields.List(ma.fields.Nested(AreaSchema))


class AuditRowSchema(ma.Schema):
    kind = ma.fields.String()
    id = ma.fields.Integer()
    school = ma.fields.String()
    student_id = ma.fields.Integer()
    student_local_id = ma.fields.String()
    role = ma.fields.String(
        allow_none=True, metadata={"description": "the student's part on the incident; null: no incident"}
    )
    own_conduct = ma.fields.Boolean(
        metadata={"description": "the student reported for their own conduct; else no group data"}
    )
    race = ma.fields.String(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    idea = ma.fields.Boolean(allow_none=True)
    section_504 = ma.fields.Boolean(allow_none=True)
    english_learner = ma.fields.Boolean(allow_none=True)
    status = ma.fields.String()
    at = ma.fields.AwareDateTime()
    requested_by = ma.fields.String()
    criteria_claimed = ma.fields.List(ma.fields.String())
    criteria_met = ma.fields.List(ma.fields.String())
    contact_at = ma.fields.AwareDateTime(allow_none=True)
    contact_method = ma.fields.String(allow_none=True)
    contact_reached = ma.fields.Boolean(allow_none=True)
    approver = ma.fields.String(allow_none=True)
    approved_at = ma.fields.AwareDateTime(allow_none=True)
    hours_to_approval = ma.fields.Float(allow_none=True)
    referred_at = ma.fields.AwareDateTime(allow_none=True)
    agency = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    flags = ma.fields.List(ma.fields.String())
    refusals = ma.fields.List(ma.fields.List(ma.fields.String()))


class AuditPageSchema(ma.Schema):
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(AuditRowSchema))


class SeriesSchema(ma.Schema):
    key = ma.fields.String()
    title = ma.fields.String()
    labels = ma.fields.List(ma.fields.String())
    values = ma.fields.List(ma.fields.Integer())
    category_title = ma.fields.String(
        metadata={"description": "What the labels are (the chart's category axis)."}
    )
    value_title = ma.fields.String(
        metadata={"description": "What the values count (the chart's value axis)."}
    )
    counted = ma.fields.String(metadata={"description": "What one unit of the chart is, in words."})


class StaffingSchema(ma.Schema):
    role = ma.fields.String()
    staff = ma.fields.Integer()
    students = ma.fields.Integer()
    recommended = ma.fields.Integer()
    students_per_staff = ma.fields.Float(allow_none=True)
    open_cases = ma.fields.Integer()


class DashboardSchema(ma.Schema):
    school_year = ma.fields.Integer()
    incidents = ma.fields.Integer()
    charts = ma.fields.List(ma.fields.Nested(SeriesSchema))
    staffing = ma.fields.List(ma.fields.Nested(StaffingSchema))
    escalations_by_month = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Integer()))
