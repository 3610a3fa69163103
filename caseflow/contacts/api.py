"""/api/v1/students/<id>/guardian-contacts: the student's guardian contact log."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.contacts import services
from caseflow.contacts.schemas import ContactInputSchema, ContactSchema
from caseflow.db import transaction
from caseflow.errors import Forbidden
from caseflow.incidents.api import require_json

contacts_blp = Blueprint(
    "api_contacts", __name__, url_prefix="/api/v1/students", description="Guardian contact log"
)
blueprints = (contacts_blp,)


def _student(student_id: int):
    from caseflow.people.services import get_student_for

    student = get_student_for(current_user, student_id)
    if not services.can_see_contacts(current_user, student):
        raise Forbidden(gettext("The guardian contact log is not available to you."))
    return student


@contacts_blp.route("/<int:student_id>/guardian-contacts")
class Contacts(MethodView):
    @permission_required(Permission.STUDENT_READ)
    @contacts_blp.response(200, ContactSchema(many=True))
    def get(self, student_id: int):
        """Every contact and attempt with the student's guardians, newest first."""
        return services.contacts_of(_student(student_id).id)

    @permission_required(Permission.GUARDIAN_CONTACT)
    @require_json
    @contacts_blp.arguments(ContactInputSchema)
    @contacts_blp.response(201, ContactSchema)
    def post(self, data, student_id: int):
        """Log a contact or an attempt (reached or not). A no-contact guardian is refused."""
        student = _student(student_id)
        with transaction():
            return services.record_contact(actor=current_user, student=student, **data)
