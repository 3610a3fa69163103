"""Recording a guardian contact from the student's page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.contacts import services
from caseflow.contacts.schemas import ContactInputSchema
from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.forms import form_errors
from caseflow.steps import form_payload

bp = Blueprint("contacts", __name__, url_prefix="/students")


@bp.route("/<int:student_id>/guardian-contacts", methods=["POST"])
@permission_required(Permission.GUARDIAN_CONTACT)
def record(student_id: int):
    from flask import request

    from caseflow.people.services import get_student_for
    from caseflow.people.views import render_student

    student = get_student_for(current_user, student_id)
    schema = ContactInputSchema()
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        values = schema.load(form_payload(schema, ZoneInfo(student.school.time_zone)))
        with transaction():
            services.record_contact(actor=current_user, student=student, **values)
    except ma.ValidationError as exc:
        return render_student(student, contact_form=raw, contact_errors=form_errors(exc), status=422)
    except DomainError as exc:
        errors = dict(exc.fields or {})
        errors.setdefault("_schema", [exc.message])
        return render_student(student, contact_form=raw, contact_errors=errors, status=exc.status)
    flash(gettext("Contact recorded."), "info")
    return redirect(url_for("people.student", student_id=student.id) + "#guardian-contacts")
