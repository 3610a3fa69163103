"""/api/v1/cases/<id>/restorative: a case's restorative processes and the actions on the open one."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.incidents.api import require_json
from caseflow.restorative import services
from caseflow.restorative.schemas import BeginInput, ProcessSchema
from caseflow.restorative.steps import STEPS, load_case, load_target
from caseflow.steps import api_routes

restorative_blp = Blueprint(
    "api_restorative", __name__, url_prefix="/api/v1/cases", description="Restorative conferences"
)
blueprints = (restorative_blp,)
RULE = "/<int:case_id>/restorative"


@restorative_blp.route(RULE)
class Processes(MethodView):
    @permission_required(Permission.CASE_READ)
    @restorative_blp.response(200, ProcessSchema(many=True))
    def get(self, case_id: int):
        """The case's restorative processes, oldest first (at most one is under way)."""
        return services.processes_of(load_case(current_user, case_id))

    @permission_required(Permission.CASE_READ)
    @require_json
    @restorative_blp.arguments(BeginInput)
    @restorative_blp.response(201, ProcessSchema)
    def post(self, data, case_id: int):
        """Begin a restorative process on the case, describing the harm. About an incident, it
        is the conflict's process, linked to each involved student's restorative case; if the
        incident has one under way, the case joins it (and it is returned)."""
        case = load_case(current_user, case_id)
        with transaction():
            return services.begin(actor=current_user, case=case, **data)


api_routes(
    restorative_blp,
    RULE,
    STEPS,
    permission=Permission.CASE_READ,
    load_target=load_target,
    response_schema=ProcessSchema,
    dump=lambda target: target[0],
)
