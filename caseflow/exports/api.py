"""/api/v1/exports/edfi/discipline: incidents as Ed-Fi discipline resources."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import any_permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.exports.schemas import DisciplineExportQuerySchema, DisciplineExportSchema
from caseflow.exports.services import ExportFilters, discipline_export_for

exports_blp = Blueprint(
    "api_exports", __name__, url_prefix="/api/v1/exports", description="Exports in other systems' shapes"
)
blueprints = (exports_blp,)


@exports_blp.route("/edfi/discipline")
class EdfiDisciplineExport(MethodView):
    @any_permission_required(Permission.REPORT_READ, Permission.INCIDENT_READ_SCHOOL)
    @exports_blp.arguments(DisciplineExportQuerySchema, location="query")
    @exports_blp.response(200, DisciplineExportSchema)
    def get(self, args):
        """Incidents as Ed-Fi discipline resources.

        The incidents of the schools you serve (or of one of them, `school_id`), optionally in a
        period (`from`, `to`: days in the district's time zone), as the Ed-Fi ODS/API resources
        DisciplineIncident, StudentDisciplineIncidentBehaviorAssociation,
        StudentDisciplineIncidentNonOffenderAssociation and DisciplineAction. Students appear by
        their district id only; narratives and notes are never exported. Each export is recorded
        in the audit trail."""
        with transaction():
            return discipline_export_for(current_user, ExportFilters(**args))
