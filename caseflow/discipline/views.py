"""Recording a disciplinary action from the incident's page, and a second administrator's
decision on an exclusion that waits for one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc
from caseflow.discipline import consistency, gate, services
from caseflow.discipline.schemas import ApprovalInputSchema, RecordedActionInputSchema
from caseflow.errors import Conflict, DomainError
from caseflow.forms import load_form
from caseflow.incidents.services import get_incident_for
from caseflow.labels import translated

bp = Blueprint("discipline", __name__, url_prefix="/incidents")


def form_context(incident, user) -> dict:
    """What the action form shows before submitting: the gate's requirements, and for each
    responsible student the consistency spread and the supports on record to pick from."""
    today = now_utc().date()
    students = [s.student for s in incident.students if s.role == "responsible"]
    pending = [a for a in services.actions_for_incident(incident.id) if a.approval == "pending"]
    return {
        "requirements": gate.requirements(),
        "spreads": {s.id: consistency.spread_for(incident, s, today) for s in students},
        "supports": {s.id: gate.supports_on_record(s.id, today) for s in students},
        "students": {s.id: s for s in students},
        "may_decide": {a.id: gate.approver_problem(user, a) is None for a in pending},
    }


@bp.route("/<int:incident_id>/discipline-actions", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def record(incident_id: int):
    from caseflow.incidents.views import _detail

    incident = get_incident_for(current_user, incident_id)
    values, errors, raw = load_form(RecordedActionInputSchema(), multi=("supports_tried",))
    if values is not None:
        try:
            with gate.attempt():
                action, created = services.record_action(actor=current_user, incident=incident, **values)
        except DomainError as exc:
            errors = dict(exc.fields or {})
            errors.setdefault("_schema", [exc.message])
        else:
            if not created:
                flash(gettext("This action was already recorded."), "info")
            elif action.approval == "pending":
                flash(
                    gettext(
                        "Recorded. It waits for a second administrator and does not take effect until then."
                    ),
                    "info",
                )
            else:
                flash(gettext("Action recorded."), "info")
            return redirect(url_for("incidents.detail", incident_id=incident.id) + "#discipline")
    raw = raw or dict(request.form)
    return _detail(incident, discipline={"errors": errors, "raw": raw}, status=422)


@bp.route("/<int:incident_id>/discipline-actions/<int:action_id>/approval", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def decide(incident_id: int, action_id: int):
    """Approve or deny an exclusion waiting for a second administrator."""
    incident = get_incident_for(current_user, incident_id)
    values, errors, _ = load_form(ApprovalInputSchema())
    if values is None:
        flash(" ".join(m for ms in errors.values() for m in ms), "error")
    else:
        try:
            with gate.attempt():
                action = gate.pending_for(current_user, action_id)
                if action.incident_id != incident.id:
                    raise Conflict(gettext("This action belongs to another incident."))
                gate.decide(actor=current_user, action=action, **values)
        except DomainError as exc:
            flash(translated(exc.message), "error")
        else:
            flash(
                "Exclusion approved: it takes effect." if values["approve"] else "Exclusion denied.", "info"
            )
    return redirect(url_for("incidents.detail", incident_id=incident.id) + "#discipline")
