"""/api/v1/reports/reach-parity: guardians reached before a decision, by home language."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.reports import reach
from caseflow.reports import schemas as s
from caseflow.reports.periods import current_school_year
from caseflow.reports.settings import settings

reach_blp = Blueprint(
    "api_reach", __name__, url_prefix="/api/v1/reports", description="Reach parity by home language"
)
blueprints = (reach_blp,)


class ReachRowSchema(ma.Schema):
    language = ma.fields.String(metadata={"description": "The primary contact's language, or 'not recorded'"})
    label = ma.fields.String()
    students = ma.fields.Integer(attribute="n", metadata={"description": "Students with a decision"})
    reached = ma.fields.Integer(metadata={"description": "Of them, a guardian reached at or before it"})
    share = ma.fields.Float(allow_none=True, metadata={"description": "null: fewer than min_n students"})
    median_hours = ma.fields.Float(allow_none=True)
    ever_reached = ma.fields.Integer()


class ReachAreaSchema(ma.Schema):
    name = ma.fields.String()
    school_id = ma.fields.Integer(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(ReachRowSchema))


class ReachAlertSchema(ma.Schema):
    area = ma.fields.String()
    language = ma.fields.String()
    share = ma.fields.Float()
    reference_share = ma.fields.Float(metadata={"description": "The English speakers' share"})


class ReachSchema(ma.Schema):
    school_year = ma.fields.Integer()
    min_n = ma.fields.Integer()
    alert_fraction = ma.fields.Float()
    areas = ma.fields.List(ma.fields.Nested(ReachAreaSchema))
    alerts = ma.fields.List(ma.fields.Nested(ReachAlertSchema))


@reach_blp.route("/reach-parity")
class ReachParity(MethodView):
    @permission_required(Permission.REPORT_READ)
    @reach_blp.arguments(s.YearQuerySchema, location="query")
    @reach_blp.response(200, ReachSchema)
    def get(self, args):
        """For each home-language group: the share of students with a decision whose guardian was
        reached before it, and the median time to the first reached contact; alerts below 0.9
        of the English speakers' share."""
        from caseflow.reports.api import _schools

        year = args.get("year", current_school_year())
        areas = reach.reach_parity(current_user, _schools(args.get("school_id")), year)
        return {
            "school_year": year,
            "min_n": settings().min_n,
            "alert_fraction": reach.ALERT_FRACTION,
            "areas": areas,
            "alerts": reach.reach_alerts(areas),
        }
