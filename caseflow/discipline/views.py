"""Recording a disciplinary action from the incident's page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.discipline import services
from caseflow.discipline.schemas import RecordedActionInputSchema
from caseflow.errors import DomainError
from caseflow.forms import load_form
from caseflow.incidents.services import get_incident_for

bp = Blueprint("discipline", __name__, url_prefix="/incidents")


@bp.route("/<int:incident_id>/discipline-actions", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def record(incident_id: int):
    from caseflow.incidents.views import _detail

    incident = get_incident_for(current_user, incident_id)
    values, errors, raw = load_form(RecordedActionInputSchema())
    if values is not None:
        try:
            with transaction():
                _, created = services.record_action(actor=current_user, incident=incident, **values)
        except DomainError as exc:
            errors = dict(exc.fields or {})
            errors.setdefault("_schema", [exc.message])
        else:
            flash(
                gettext("Action recorded.") if created else gettext("This action was already recorded."),
                "info",
            )
            return redirect(url_for("incidents.detail", incident_id=incident.id) + "#discipline")
    raw = raw or dict(request.form)
    return _detail(incident, discipline={"errors": errors, "raw": raw}, status=422)
