"""Pages: the student roster, a student's record and guardians, and editing them."""

from __future__ import annotations

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.cases.assignment import KIND_LABELS
from caseflow.db import transaction
from caseflow.errors import DomainError, Forbidden, NotFound
from caseflow.extensions import db
from caseflow.forms import load_form
from caseflow.people import services
from caseflow.people.codes import (
    COMMON_LANGUAGES,
    GRADES,
    GUARDIAN_RELATIONSHIPS,
    LEGAL_RESTRICTIONS,
    RACE_ETHNICITY,
    SEX,
)
from caseflow.people.models import StudentGuardian
from caseflow.people.policy import can_manage_student, schools_served
from caseflow.people.schemas import GuardianInputSchema, StudentQuerySchema, StudentUpdateSchema
from caseflow.people.timeline import student_record

bp = Blueprint("people", __name__, url_prefix="/students")

CODES = dict(
    grades=GRADES,
    races=RACE_ETHNICITY,
    sexes=SEX,
    relationships=GUARDIAN_RELATIONSHIPS,
    restrictions=LEGAL_RESTRICTIONS,
    languages=COMMON_LANGUAGES,
)


@bp.route("")
@permission_required(Permission.STUDENT_READ)
def students():
    schema = StudentQuerySchema()
    try:
        args = schema.load({k: v for k, v in request.args.items() if v != ""}, unknown="exclude")
    except ma.ValidationError as exc:  # a hand-edited address: drop the filters that make no sense
        args = schema.load(exc.valid_data or {}, unknown="exclude")
    page = services.search_students(current_user, **args)
    return render_template(
        "people/students.html",
        page=page,
        args=args,
        schools=schools_served(current_user),
    )


@bp.route("/<int:student_id>")
@permission_required(Permission.STUDENT_READ)
def student(student_id: int):
    return render_student(services.get_student_for(current_user, student_id))


def render_student(
    record,
    *,
    case_form: dict | None = None,
    case_errors: dict | None = None,
    contact_form: dict | None = None,
    contact_errors: dict | None = None,
    status: int = 200,
):
    """The student's page; `case_form`/`case_errors` bring back a refused "open a case" form,
    `contact_form`/`contact_errors` a refused guardian contact."""
    from zoneinfo import ZoneInfo

    from caseflow.cases.interventions import intervention_types
    from caseflow.cases.plans import RATINGS, chart_points
    from caseflow.contacts import services as contacts
    from caseflow.contacts.models import CONTACT_METHODS, CONTACT_PURPOSES
    from caseflow.db import now_utc

    timeline, plans = student_record(current_user, record)
    return render_template(
        "people/student.html",
        student=record,
        codes=CODES,
        can_manage=can_manage_student(current_user, record),
        timeline=timeline,
        plans=plans,
        chart_points=chart_points,
        ratings=RATINGS,
        intervention_types=intervention_types(),
        case_kinds=KIND_LABELS,
        case_form=case_form or {},
        case_errors=case_errors or {},
        contacts=contacts.contacts_of(record.id) if contacts.can_see_contacts(current_user, record) else None,
        can_record_contact=contacts.can_record_contact(current_user, record),
        contact_methods=CONTACT_METHODS,
        contact_purposes=CONTACT_PURPOSES,
        contact_form=contact_form or _contact_defaults(),
        contact_incidents=contacts.incidents_for_contact(record.id),
        contact_errors=contact_errors or {},
        tz=ZoneInfo(record.school.time_zone),
        escalation_history=_escalation_history(record),
        local_now=now_utc().astimezone(ZoneInfo(record.school.time_zone)).strftime("%Y-%m-%dT%H:%M"),
    ), status


def _contact_defaults() -> dict:
    """A link from an escalation or an incident opens the contact form about that incident."""
    defaults = {}
    if request.args.get("contact_incident", "").isdigit():
        defaults["incident_id"] = request.args["contact_incident"]
    if request.args.get("contact_purpose") in ("incident_notice", "escalation_notice", "emergency_notice"):
        defaults["purpose"] = request.args["contact_purpose"]
    return defaults


def _escalation_history(record):
    """The student's escalations and emergency police responses, for administrators and auditors."""
    from caseflow.auth.permissions import Permission as Perm
    from caseflow.escalations.services import student_history

    if not (current_user.can(Perm.ESCALATION_REQUEST) or current_user.can(Perm.AUDIT_READ)):
        return None
    return student_history(record.id)


def _managed_student(student_id: int):
    record = services.get_student_for(current_user, student_id)
    if not can_manage_student(current_user, record):
        raise Forbidden(gettext("You may not change this student's record."))
    return record


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.STUDENT_MANAGE)
def edit_student(student_id: int):
    record = _managed_student(student_id)
    values, errors, raw = {}, {}, None
    if request.method == "POST":
        values, errors, raw = load_form(
            StudentUpdateSchema(), checkboxes=("idea_eligible", "section_504", "english_learner")
        )
        if values is not None:
            try:
                with transaction():
                    services.update_student(actor=current_user, student=record, values=values)
            except DomainError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(gettext("Student record saved."), "info")
                return redirect(url_for("people.student", student_id=record.id))
    return render_template(
        "people/student_form.html",
        student=record,
        raw=raw,
        errors=errors,
        codes=CODES,
        schools=schools_served(current_user),
    ), (422 if errors else 200)


def _guardian_form(record, link: StudentGuardian | None):
    errors, raw = {}, None
    if request.method == "POST":
        values, errors, raw = load_form(
            GuardianInputSchema(), checkboxes=("is_primary_contact", "lives_with")
        )
        if values is not None:
            guardian_values, link_values = GuardianInputSchema.split(values)
            try:
                with transaction():
                    if link is None:
                        services.add_guardian(
                            actor=current_user,
                            student=record,
                            guardian_values=guardian_values,
                            link_values=link_values,
                        )
                    else:
                        services.update_guardian_link(
                            actor=current_user,
                            link=link,
                            guardian_values=guardian_values,
                            link_values=link_values,
                        )
            except DomainError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(gettext("Guardian saved."), "info")
                return redirect(url_for("people.student", student_id=record.id))
    return render_template(
        "people/guardian_form.html", student=record, link=link, raw=raw, errors=errors, codes=CODES
    ), (422 if errors else 200)


@bp.route("/<int:student_id>/guardians/new", methods=["GET", "POST"])
@permission_required(Permission.STUDENT_MANAGE)
def add_guardian(student_id: int):
    return _guardian_form(_managed_student(student_id), None)


@bp.route("/<int:student_id>/guardians/<int:link_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.STUDENT_MANAGE)
def edit_guardian(student_id: int, link_id: int):
    record = _managed_student(student_id)
    link = db.session.get(StudentGuardian, link_id)
    if link is None or link.student_id != record.id:
        raise NotFound(gettext("No such guardian for this student."))
    return _guardian_form(record, link)
