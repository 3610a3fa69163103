"""/api/v1/incidents/<id>/discipline-actions: what was decided for the responsible students."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.discipline import gate, removals_api, services
from caseflow.discipline.schemas import (
    ApprovalInputSchema,
    RecordedActionInputSchema,
    RecordedActionSchema,
)
from caseflow.incidents.api import require_json
from caseflow.incidents.services import get_incident_for

discipline_blp = Blueprint(
    "api_discipline", __name__, url_prefix="/api/v1/incidents", description="Disciplinary actions"
)
approval_blp = Blueprint(
    "api_discipline_approval",
    __name__,
    url_prefix="/api/v1/discipline-actions",
    description="A second administrator's decision on an exclusion",
)
blueprints = (discipline_blp, approval_blp, *removals_api.blueprints)


@discipline_blp.route("/<int:incident_id>/discipline-actions")
class DisciplineActions(MethodView):
    @any_permission_required(Permission.INCIDENT_READ_SCHOOL, Permission.DISCIPLINE_RECORD)
    @discipline_blp.response(200, RecordedActionSchema(many=True))
    def get(self, incident_id: int):
        """The actions decided after this incident, oldest first."""
        incident = get_incident_for(current_user, incident_id)
        if not services.can_see_actions(current_user, incident):
            from caseflow.errors import Forbidden

            raise Forbidden(gettext("The disciplinary actions of this incident are not available to you."))
        return services.actions_for_incident(incident.id)

    @permission_required(Permission.DISCIPLINE_RECORD)
    @require_json
    @discipline_blp.arguments(RecordedActionInputSchema)
    @discipline_blp.response(201, RecordedActionSchema)
    @discipline_blp.alt_response(200, schema=RecordedActionSchema, description="Already recorded")
    def post(self, data, incident_id: int):
        """Record an action for a responsible student. The same action, student and day again
        returns the first record (200) instead of storing twice. An out-of-school suspension or
        expulsion passes the exclusion gate: refused, 422 `exclusion_refused` with the reasons by
        field (the attempt is kept); one that needs a second administrator is stored with
        `approval: pending` and does not take effect until approved."""
        incident = get_incident_for(current_user, incident_id)
        with gate.attempt():
            action, created = services.record_action(actor=current_user, incident=incident, **data)
        return action, (201 if created else 200)


@approval_blp.route("/<int:action_id>/approval")
class ExclusionApproval(MethodView):
    @permission_required(Permission.DISCIPLINE_RECORD)
    @require_json
    @approval_blp.arguments(ApprovalInputSchema)
    @approval_blp.response(200, RecordedActionSchema)
    def post(self, data, action_id: int):
        """Approve (it takes effect) or deny an exclusion waiting for a second administrator.
        The administrator who recorded it is refused (422 `exclusion_refused`, kept for the
        audit); nothing waiting: 409."""
        with gate.attempt():
            action = gate.pending_for(current_user, action_id)
            return gate.decide(actor=current_user, action=action, **data)
