"""/api/v1/escalations: requests to involve law enforcement, through the same gate as the pages.

/api/v1/emergency-responses: police responses called outside Caseflow, recorded afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.escalations import schemas as s
from caseflow.escalations import services
from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.extensions import db
from caseflow.incidents.api import require_json
from caseflow.people.policy import in_served_schools

escalations_blp = Blueprint(
    "api_escalations",
    __name__,
    url_prefix="/api/v1/escalations",
    description="Escalations to law enforcement",
)
emergency_blp = Blueprint(
    "api_emergency",
    __name__,
    url_prefix="/api/v1/emergency-responses",
    description="Emergency police responses",
)
blueprints = (escalations_blp, emergency_blp)
READERS = (Permission.ESCALATION_REQUEST, Permission.AUDIT_READ)
# Everyone who may read some whole escalation: the service decides which (services.can_read).
# A school resource officer is not among them: /referred is their one window.
INVOLVED = (*READERS, Permission.CASE_READ)


def _student_and_incident(student_id: int, incident_id: int):
    from caseflow.errors import ValidationFailed
    from caseflow.incidents.models import Incident
    from caseflow.people.models import Student

    student = db.session.get(Student, student_id)
    incident = db.session.get(Incident, incident_id)
    fields = {}
    if student is None or student.district_id != current_user.district_id:
        fields["student_id"] = [gettext("No such student.")]
    if incident is None or incident.district_id != current_user.district_id:
        fields["incident_id"] = [gettext("No such incident.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    return student, incident


def refused(refusal) -> services.GateRefused:
    return services.GateRefused(
        "The law-enforcement gate refused: " + "; ".join(refusal.reasons),
        fields={"missing": refusal.reasons, "escalation_id": [str(refusal.escalation_id)]},
    )


@escalations_blp.route("")
class Escalations(MethodView):
    @any_permission_required(*READERS)
    @escalations_blp.response(200, s.EscalationSchema(many=True))
    def get(self):
        """Every escalation of the schools the caller serves (requested, refused, approved,
        denied, withdrawn), newest first."""
        return db.session.scalars(
            sa.select(Escalation)
            .where(in_served_schools(current_user, Escalation))
            .order_by(Escalation.requested_at.desc())
            .limit(500)
            .options(selectinload(Escalation.reviews), selectinload(Escalation.refusals))
        ).all()

    @permission_required(Permission.ESCALATION_REQUEST)
    @require_json
    @escalations_blp.arguments(s.RequestInput)
    @escalations_blp.response(201, s.EscalationSchema)
    def post(self, data):
        """Ask for law enforcement, claiming criteria. A request with no criterion met is stored
        as refused and answered 409 `gate_refused` with every reason."""
        student, incident = _student_and_incident(data.pop("student_id"), data.pop("incident_id"))
        with transaction():
            escalation, refusal = services.request(
                actor=current_user, student=student, incident=incident, **data
            )
        if refusal is not None:
            raise refused(refusal)
        return escalation


@escalations_blp.route("/preview")
class Preview(MethodView):
    @permission_required(Permission.ESCALATION_REQUEST)
    @require_json
    @escalations_blp.arguments(s.PreviewInput)
    @escalations_blp.response(200, s.ChecklistSchema)
    def post(self, data):
        """The gate's checklist for a request being written; nothing is stored."""
        student, incident = _student_and_incident(data["student_id"], data["incident_id"])
        return services.preview(
            actor=current_user, student=student, incident=incident, criteria=data["criteria"]
        )


@escalations_blp.route("/referred")
class Referred(MethodView):
    @permission_required(Permission.ESCALATION_READ_REFERRED)
    @escalations_blp.response(200, s.ReferralViewSchema(many=True))
    def get(self):
        """For a school resource officer: the approved referrals made to them, and nothing else."""
        return db.session.scalars(
            sa.select(Escalation)
            .where(Escalation.status == "approved", Escalation.referred_officer_id == current_user.id)
            .order_by(Escalation.referred_at.desc())
        ).all()


@escalations_blp.route("/referred/<int:escalation_id>")
class ReferredItem(MethodView):
    @permission_required(Permission.ESCALATION_READ_REFERRED)
    @escalations_blp.response(200, s.ReferralViewSchema)
    def get(self, escalation_id: int):
        """For a school resource officer: one approved referral made to them, as in the list."""
        return services.get_referral_for(current_user, escalation_id)


@escalations_blp.route("/<int:escalation_id>")
class EscalationItem(MethodView):
    @any_permission_required(*INVOLVED)
    @escalations_blp.response(200, s.EscalationSchema)
    def get(self, escalation_id: int):
        """One escalation with its reviews and refused attempts."""
        return _readable(escalation_id)


def _readable(escalation_id: int):
    return services.get_for(current_user, escalation_id)


@escalations_blp.route("/<int:escalation_id>/checklist")
class EscalationChecklist(MethodView):
    @any_permission_required(*INVOLVED)
    @escalations_blp.response(200, s.ChecklistSchema)
    def get(self, escalation_id: int):
        """The gate's checklist now (the approver line waits for an approver)."""
        return services.checklist_for(_readable(escalation_id))


@escalations_blp.route("/<int:escalation_id>/reviews")
class Reviews(MethodView):
    @any_permission_required(*INVOLVED)
    @require_json
    @escalations_blp.arguments(s.ReviewInput)
    @escalations_blp.response(201, s.ReviewSchema)
    def post(self, data, escalation_id: int):
        """The IEP/504 review (case manager, school psychologist) or the clinician's statement."""
        with transaction():
            escalation = _readable(escalation_id)
            return services.add_review(actor=current_user, escalation=escalation, **data)


@escalations_blp.route("/<int:escalation_id>/approval")
class Approval(MethodView):
    @permission_required(Permission.ESCALATION_APPROVE)
    @require_json
    @escalations_blp.arguments(s.ApproveInput)
    @escalations_blp.response(200, s.EscalationSchema)
    def post(self, data, escalation_id: int):
        """Approve, as a second administrator. Anything missing: 409 `gate_refused`, stored."""
        with transaction():
            escalation = services.get_for(current_user, escalation_id, lock=True)
            refusal = services.approve(actor=current_user, escalation=escalation, **data)
        if refusal is not None:
            raise refused(refusal)
        return escalation


def _action(fn):
    def post(self, data, escalation_id: int):
        with transaction():
            escalation = services.get_for(current_user, escalation_id, lock=True)
            fn(actor=current_user, escalation=escalation, **data)
        return escalation

    return post


@escalations_blp.route("/<int:escalation_id>/close")
class Close(MethodView):
    @permission_required(Permission.ESCALATION_REQUEST)
    @require_json
    @escalations_blp.arguments(s.EscalationCloseInput)
    @escalations_blp.response(200, s.EscalationSchema)
    def post(self, data, escalation_id: int):
        """Deny (another administrator) or withdraw (the requester) a waiting request, with why."""
        return _action(services.close)(self, data, escalation_id)


@escalations_blp.route("/<int:escalation_id>/referral")
class Referral(MethodView):
    @permission_required(Permission.ESCALATION_APPROVE)
    @require_json
    @escalations_blp.arguments(s.ReferralInput)
    @escalations_blp.response(200, s.EscalationSchema)
    def post(self, data, escalation_id: int):
        """After approval: the agency, the officer and when."""
        return _action(services.record_referral)(self, data, escalation_id)


@escalations_blp.route("/<int:escalation_id>/outcome")
class Outcome(MethodView):
    @permission_required(Permission.ESCALATION_APPROVE)
    @require_json
    @escalations_blp.arguments(s.OutcomeInput)
    @escalations_blp.response(200, s.EscalationSchema)
    def post(self, data, escalation_id: int):
        """What law enforcement did: no action, diversion, citation, court referral, arrest."""
        return _action(services.record_outcome)(self, data, escalation_id)


@emergency_blp.route("")
class Emergencies(MethodView):
    @any_permission_required(*READERS)
    @emergency_blp.response(200, s.EmergencySchema(many=True))
    def get(self):
        """Emergency police responses of the caller's schools, newest first."""
        return db.session.scalars(
            sa.select(EmergencyResponse)
            .where(in_served_schools(current_user, EmergencyResponse))
            .order_by(EmergencyResponse.called_at.desc())
            .limit(500)
        ).all()

    @permission_required(Permission.ESCALATION_REQUEST)
    @require_json
    @emergency_blp.arguments(s.EmergencyInput)
    @emergency_blp.response(201, s.EmergencySchema)
    def post(self, data):
        """Record a police response called outside Caseflow (never an approved escalation)."""
        from caseflow.people.services import get_student_for

        student = get_student_for(current_user, data.pop("student_id"))
        with transaction():
            return services.record_emergency(actor=current_user, student=student, **data)


@emergency_blp.route("/<int:response_id>")
class Emergency(MethodView):
    @any_permission_required(*READERS)
    @emergency_blp.response(200, s.EmergencySchema)
    def get(self, response_id: int):
        """One emergency police response."""
        return services.get_emergency_for(current_user, response_id)

    @permission_required(Permission.ESCALATION_APPROVE)
    @require_json
    @emergency_blp.arguments(s.EmergencyUpdateInput)
    @emergency_blp.response(200, s.EmergencySchema)
    def post(self, data, response_id: int):
        """Add the justification, the guardian contact, an administrator's review or the outcome."""
        with transaction():
            response = services.get_emergency_for(current_user, response_id)
            return services.update_emergency(actor=current_user, response=response, **data)
