"""/api/v1/students/<id>/notices: preview a guardian notice and send it (e-mail or letter)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.contacts.schemas import ContactSchema
from caseflow.db import transaction
from caseflow.incidents.api import require_json
from caseflow.notices import services
from caseflow.notices.schemas import NoticeInputSchema, NoticePreviewSchema

notices_blp = Blueprint(
    "api_notices", __name__, url_prefix="/api/v1/students", description="Guardian notices"
)
blueprints = (notices_blp,)


def _student(student_id: int):
    from caseflow.people.services import get_student_for

    return get_student_for(current_user, student_id)


@notices_blp.route("/<int:student_id>/notices/preview")
class NoticePreview(MethodView):
    @permission_required(Permission.GUARDIAN_CONTACT)
    @require_json
    @notices_blp.arguments(NoticeInputSchema)
    @notices_blp.response(200, NoticePreviewSchema)
    def post(self, data, student_id: int):
        """The notice in the guardian's language and in English, as it would be sent (nothing is
        recorded). A language without reviewed texts gives the English original with its note."""
        draft = services.draft_notice(
            actor=current_user, student=_student(student_id), **NoticeInputSchema.draft_args(data)
        )
        return draft.notice


def _send(data: dict, student_id: int, channel: str):
    student = _student(student_id)
    with transaction():
        sent = services.send_notice(
            actor=current_user, student=student, channel=channel, **NoticeInputSchema.draft_args(data)
        )
        sent.contact_id = sent.contact.id
    return sent


@notices_blp.route("/<int:student_id>/notices")
class Notices(MethodView):
    @permission_required(Permission.GUARDIAN_CONTACT)
    @require_json
    @notices_blp.arguments(NoticeInputSchema)
    @notices_blp.response(201, ContactSchema)
    def post(self, data, student_id: int):
        """Send the notice by e-mail (queued in the outbox, one message with its own Message-ID
        and Content-Language) and answer with the guardian contact recorded. A guardian under a
        no-contact order, or one without an e-mail address, is refused."""
        return _send(data, student_id, "email").contact


@notices_blp.route("/<int:student_id>/notices/letter")
class NoticeLetter(MethodView):
    @permission_required(Permission.GUARDIAN_CONTACT)
    @require_json
    @notices_blp.arguments(NoticeInputSchema)
    @notices_blp.response(
        201,
        {"type": "string", "format": "binary"},
        content_type="application/pdf",
        description="The letter to print; the guardian contact recorded is in X-Contact-Id",
    )
    def post(self, data, student_id: int):
        """Print the notice as a PDF letter, recorded in the guardian contact log as a letter
        sent. A guardian under a no-contact order is refused."""
        sent = _send(data, student_id, "letter")
        return Response(
            sent.letter,
            status=201,
            mimetype="application/pdf",
            headers={
                "X-Contact-Id": str(sent.contact_id),
                "Content-Disposition": f'attachment; filename="notice-{sent.contact_id}.pdf"',
            },
        )
