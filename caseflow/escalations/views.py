"""Pages: escalations of my schools, a request with its live checklist, the approval screen,
emergency police responses, and (for a school resource officer) the referrals made to them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from caseflow.audit.words import action_words
from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError, NotFound
from caseflow.escalations import schemas as s
from caseflow.escalations import services
from caseflow.escalations.criteria import police_criteria
from caseflow.escalations.models import (
    ESCALATION_STATUSES,
    OUTCOMES,
    REVIEW_KINDS,
    EmergencyResponse,
    Escalation,
)
from caseflow.extensions import db
from caseflow.forms import form_errors
from caseflow.incidents.forms import to_int
from caseflow.labels import N_, translated
from caseflow.people.policy import in_served_schools
from caseflow.steps import form_payload

bp = Blueprint("escalations", __name__, url_prefix="/escalations")
READERS = (Permission.ESCALATION_REQUEST, Permission.AUDIT_READ)
# Who may read (some) whole escalations: the service decides which (services.can_read). A
# school resource officer is not one of them: they see the referral view only.
INVOLVED = (*READERS, Permission.CASE_READ)


def _errors(exc: DomainError) -> dict:
    errors = dict(exc.fields or {})
    errors.setdefault("_schema", [exc.message])
    return errors


@bp.route("")
@any_permission_required(*READERS, Permission.ESCALATION_READ_REFERRED)
def index():
    if not (current_user.can(Permission.ESCALATION_REQUEST) or current_user.can(Permission.AUDIT_READ)):
        referred = db.session.scalars(
            sa.select(Escalation)
            .where(Escalation.status == "approved", Escalation.referred_officer_id == current_user.id)
            .order_by(Escalation.referred_at.desc())
            .options(selectinload(Escalation.student), selectinload(Escalation.school))
        ).all()
        return render_template(
            "escalations/referred.html",
            referred=referred,
            criteria=police_criteria().items,
            outcomes=OUTCOMES,
        )
    status = request.args.get("status", "")
    stmt = sa.select(Escalation).where(in_served_schools(current_user, Escalation))
    if status in ESCALATION_STATUSES:
        stmt = stmt.where(Escalation.status == status)
    escalations = db.session.scalars(
        stmt.order_by(Escalation.requested_at.desc())
        .limit(200)
        .options(
            selectinload(Escalation.student),
            selectinload(Escalation.school),
            selectinload(Escalation.requested_by),
        )
    ).all()
    emergencies = db.session.scalars(
        sa.select(EmergencyResponse)
        .where(in_served_schools(current_user, EmergencyResponse))
        .order_by(EmergencyResponse.called_at.desc())
        .limit(50)
        .options(selectinload(EmergencyResponse.student), selectinload(EmergencyResponse.school))
    ).all()
    return render_template(
        "escalations/index.html",
        escalations=escalations,
        emergencies=emergencies,
        statuses=ESCALATION_STATUSES,
        status=status,
        now=now_utc(),
        criteria=police_criteria().items,
        outcomes=OUTCOMES,
    )


def _request_context(student_id, incident_id):
    from caseflow.incidents.models import Incident
    from caseflow.people.services import get_student_for

    student = get_student_for(current_user, to_int(student_id) or 0)
    incident = db.session.get(Incident, to_int(incident_id) or 0)
    if incident is None or not any(p.student_id == student.id for p in incident.students):
        raise NotFound(gettext("Choose an incident of this student."))
    return student, incident


def _render_new(student, incident, *, form=None, errors=None, status=200):
    claimed = (form or {}).get("criteria", [])
    check = services.preview(actor=current_user, student=student, incident=incident, criteria=claimed)
    return render_template(
        "escalations/new.html",
        student=student,
        incident=incident,
        criteria=police_criteria().items,
        form=form or {"criteria": []},
        errors=errors or {},
        check=check,
    ), status


@bp.route("/new")
@permission_required(Permission.ESCALATION_REQUEST)
def new():
    student, incident = _request_context(request.args.get("student_id"), request.args.get("incident_id"))
    return _render_new(student, incident)


@bp.route("/checklist", methods=["POST"])
@permission_required(Permission.ESCALATION_REQUEST)
def checklist():
    """The live checklist of the request form (an HTML fragment; nothing is stored)."""
    student, incident = _request_context(request.form.get("student_id"), request.form.get("incident_id"))
    check = services.preview(
        actor=current_user, student=student, incident=incident, criteria=request.form.getlist("criteria")
    )
    return render_template("escalations/_checklist.html", check=check)


@bp.route("/new", methods=["POST"])
@permission_required(Permission.ESCALATION_REQUEST)
def create():
    student, incident = _request_context(request.form.get("student_id"), request.form.get("incident_id"))
    form = {
        "criteria": request.form.getlist("criteria"),
        "justification": request.form.get("justification", ""),
    }
    try:
        with transaction():
            escalation, refusal = services.request(
                actor=current_user, student=student, incident=incident, **form
            )
    except DomainError as exc:
        return _render_new(student, incident, form=form, errors=_errors(exc), status=exc.status)
    if refusal is not None:
        flash(
            gettext(
                "Refused: no criterion you claimed is met by the recorded facts. The attempt is recorded."
            ),
            "error",
        )
    else:
        flash(gettext("Request recorded. It waits for a second administrator's approval."), "info")
    return redirect(url_for("escalations.detail", escalation_id=escalation.id))


def _render_detail(escalation: Escalation, *, errors=None, raw=None, status=200):
    from caseflow.audit.models import AuditEvent

    tz = ZoneInfo(escalation.school.time_zone)
    officers = services.school_officers(escalation.school)
    timeline = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "Escalation", AuditEvent.entity_id == str(escalation.id))
        .order_by(AuditEvent.id)
    ).all()
    return render_template(
        "escalations/detail.html",
        e=escalation,
        check=services.checklist_for(escalation),
        criteria=police_criteria().items,
        statuses=ESCALATION_STATUSES,
        outcomes=OUTCOMES,
        review_kinds=REVIEW_KINDS,
        officers=officers,
        timeline=timeline,
        action_words=action_words,
        can_review=services.needs_review_from(current_user, escalation),
        tz=tz,
        local_now=now_utc().astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        errors=errors or {},
        raw=raw or {},
    ), status


@bp.route("/<int:escalation_id>")
@any_permission_required(*INVOLVED, Permission.ESCALATION_READ_REFERRED)
def detail(escalation_id: int):
    if services.officer_only(current_user):
        escalation = services.get_referral_for(current_user, escalation_id)
        return render_template(
            "escalations/referred.html", referred=[escalation], criteria=police_criteria().items
        )
    return _render_detail(services.get_for(current_user, escalation_id))


ACTIONS = {
    "reviews": (s.ReviewInput, services.add_review, N_("Review recorded.")),
    "approval": (s.ApproveInput, services.approve, N_("Approved. Record the referral when it is made.")),
    "close": (s.EscalationCloseInput, services.close, N_("Escalation closed.")),
    "referral": (s.ReferralInput, services.record_referral, N_("Referral recorded.")),
    "outcome": (s.OutcomeInput, services.record_outcome, N_("Outcome recorded.")),
}


@bp.route("/<int:escalation_id>/<action>", methods=["POST"])
@any_permission_required(*INVOLVED)
def act(escalation_id: int, action: str):
    if action not in ACTIONS:
        raise NotFound(gettext("No such action."))
    schema_class, run, done = ACTIONS[action]
    escalation = services.get_for(current_user, escalation_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    schema = schema_class()
    try:
        values = schema.load(form_payload(schema, ZoneInfo(escalation.school.time_zone)))
        with transaction():
            locked = services.get_for(current_user, escalation_id, lock=True)
            outcome = run(actor=current_user, escalation=locked, **values)
    except ma.ValidationError as exc:
        return _render_detail(escalation, errors={action: form_errors(exc)}, raw={action: raw}, status=422)
    except DomainError as exc:
        db.session.rollback()
        return _render_detail(
            services.get_for(current_user, escalation_id),
            errors={action: _errors(exc)},
            raw={action: raw},
            status=exc.status,
        )
    if action == "approval" and outcome is not None:  # a stored refusal
        escalation = services.get_for(current_user, escalation_id)
        return _render_detail(
            escalation,
            errors={
                "approval": {"_schema": [gettext("The gate refused the approval:"), *outcome.shown_reasons]}
            },
            status=409,
        )
    flash(translated(done), "info")
    return redirect(url_for("escalations.detail", escalation_id=escalation_id))


@bp.route("/emergency/new", methods=["GET", "POST"])
@permission_required(Permission.ESCALATION_REQUEST)
def new_emergency():
    from caseflow.people.services import get_student_for

    student = get_student_for(current_user, to_int(request.values.get("student_id")) or 0)
    tz = ZoneInfo(student.school.time_zone)
    errors, raw = {}, {}
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
        schema = s.EmergencyInput()
        try:
            values = schema.load(form_payload(schema, tz))
            values.pop("student_id")
            with transaction():
                response = services.record_emergency(actor=current_user, student=student, **values)
            flash(gettext("Emergency response recorded and flagged for an administrator's review."), "info")
            return redirect(url_for("escalations.emergency", response_id=response.id))
        except ma.ValidationError as exc:
            errors = form_errors(exc)
        except DomainError as exc:
            errors = _errors(exc)
    return render_template(
        "escalations/emergency_new.html",
        student=student,
        errors=errors,
        raw=raw,
        local_now=now_utc().astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
    ), (422 if errors else 200)


@bp.route("/emergency/<int:response_id>", methods=["GET", "POST"])
@any_permission_required(*READERS)
def emergency(response_id: int):
    from caseflow.contacts.services import contacts_of

    response = services.get_emergency_for(current_user, response_id)
    errors, raw = {}, {}
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
        schema = s.EmergencyUpdateInput()
        try:
            values = schema.load(form_payload(schema, ZoneInfo(response.school.time_zone)))
            with transaction():
                services.update_emergency(actor=current_user, response=response, **values)
            flash(gettext("Emergency response updated."), "info")
            return redirect(url_for("escalations.emergency", response_id=response.id))
        except ma.ValidationError as exc:
            errors = form_errors(exc)
        except DomainError as exc:
            errors = _errors(exc)
            response = services.get_emergency_for(current_user, response_id)
    return render_template(
        "escalations/emergency.html",
        r=response,
        # Only a contact that reached a guardian after the call can complete the response.
        contacts=[
            c
            for c in contacts_of(response.student_id)
            if c.contacted_at >= response.called_at and c.reached and c.link.may_be_contacted
        ],
        outcomes=OUTCOMES,
        tz=ZoneInfo(response.school.time_zone),
        now=now_utc(),
        errors=errors,
        raw=raw,
    ), (422 if errors else 200)
