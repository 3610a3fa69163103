"""/api/v1/incidents/<id>/discipline-actions: what was decided for the responsible students."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.discipline import services
from caseflow.discipline.schemas import RecordedActionInputSchema, RecordedActionSchema
from caseflow.incidents.api import require_json
from caseflow.incidents.services import get_incident_for

discipline_blp = Blueprint(
    "api_discipline", __name__, url_prefix="/api/v1/incidents", description="Disciplinary actions"
)
blueprints = (discipline_blp,)


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
        returns the first record (200) instead of storing twice."""
        incident = get_incident_for(current_user, incident_id)
        with transaction():
            action, created = services.record_action(actor=current_user, incident=incident, **data)
        return action, (201 if created else 200)
