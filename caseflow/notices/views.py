"""The notice page: choose the guardian and the kind, edit the free-text parts, see the notice
in the guardian's language beside the English original, then send it by e-mail or print it."""

from __future__ import annotations

import marshmallow as ma
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.notices import services
from caseflow.notices.schemas import NoticeInputSchema, NoticeSendSchema
from caseflow.notices.texts import FREE_TEXT, MEETING_KINDS, NOTICE_KINDS, languages

bp = Blueprint("notices", __name__, url_prefix="/students")
FORM_KEYS = ("kind", "link_id", "incident_id", "meeting_kind", *FREE_TEXT)


def _student(student_id: int):
    from caseflow.errors import Forbidden
    from caseflow.people.services import get_student_for

    student = get_student_for(current_user, student_id)
    if not services.can_send_notice(current_user, student):
        raise Forbidden(gettext("You may not send notices to this student's guardians."))
    return student


def _raw(source) -> dict:
    return {k: source.get(k, "") for k in FORM_KEYS if source.get(k) not in (None, "")}


def _page(student, raw: dict, errors: dict | None = None, status: int = 200, draft=None):
    from caseflow.contacts.services import incidents_for_contact

    errors = dict(errors or {})
    if draft is None and not errors and raw.get("link_id"):
        try:
            data = NoticeInputSchema().load({"kind": "incident", **raw})
            draft = services.draft_notice(
                actor=current_user, student=student, **NoticeInputSchema.draft_args(data)
            )
        except ma.ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = dict(exc.fields or {"_schema": [exc.message]})
    values = draft.values if draft else {**services.suggested_values(raw.get("kind", ""), None, current_user)}
    values = {**values, **{k: raw[k] for k in FREE_TEXT if k in raw}}
    return (
        render_template(
            "notices/compose.html",
            student=student,
            raw=raw,
            values=values,
            errors=errors,
            draft=draft,
            links=student.guardian_links,
            incidents=incidents_for_contact(student.id),
            kinds=NOTICE_KINDS,
            meeting_kinds=MEETING_KINDS,
            languages=languages(),
        ),
        status,
    )


@bp.route("/<int:student_id>/notices/new")
@permission_required(Permission.GUARDIAN_CONTACT)
def compose(student_id: int):
    student = _student(student_id)
    raw = _raw(request.args)
    raw.setdefault("kind", "incident")
    if "link_id" not in raw:  # the primary contact first, if they may be contacted
        links = services.contactable_links(student)
        first = next((link for link in links if link.is_primary_contact), links[0] if links else None)
        if first is not None:
            raw["link_id"] = str(first.id)
    return _page(student, raw)


@bp.route("/<int:student_id>/notices", methods=["POST"])
@permission_required(Permission.GUARDIAN_CONTACT)
def send(student_id: int):
    student = _student(student_id)
    raw = _raw(request.form)
    action = request.form.get("action", "preview")
    if action not in ("email", "letter"):
        return _page(student, raw)
    try:
        data = NoticeSendSchema().load({**raw, "channel": action})
        with transaction():
            sent = services.send_notice(
                actor=current_user, student=student, channel=action, **NoticeSendSchema.draft_args(data)
            )
            contact_id = sent.contact.id
    except ma.ValidationError as exc:
        return _page(student, raw, exc.messages, 422)
    except DomainError as exc:
        errors = dict(exc.fields or {})
        errors.setdefault("_schema", [exc.message])
        return _page(student, raw, errors, exc.status)
    if sent.letter is not None:
        return Response(
            sent.letter,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="notice-{contact_id}.pdf"'},
        )
    flash(gettext("The notice is on its way by e-mail and recorded in the guardian contact log."), "info")
    return redirect(url_for("people.student", student_id=student.id) + "#guardian-contacts")
