"""/api/v1/cases/<id>/threat-assessment: the assessment of a threat-team case and its steps."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.steps import api_routes
from caseflow.threats.schemas import AssessmentSchema
from caseflow.threats.steps import STEPS, load_target

threats_blp = Blueprint(
    "api_threats", __name__, url_prefix="/api/v1/cases", description="Threat assessments (CSTAG)"
)
blueprints = (threats_blp,)
RULE = "/<int:case_id>/threat-assessment"


@threats_blp.route(RULE)
class Assessment(MethodView):
    @permission_required(Permission.CASE_READ)
    @threats_blp.response(200, AssessmentSchema)
    def get(self, case_id: int):
        """The case's threat assessment, with what is still missing before it may close."""
        return load_target(current_user, case_id)[0]


api_routes(
    threats_blp,
    RULE,
    STEPS,
    permission=Permission.CASE_READ,
    load_target=load_target,
    response_schema=AssessmentSchema,
    dump=lambda target: target[0],
)
