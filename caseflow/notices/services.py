"""Guardian notices: drafted in the guardian's language beside the English original, then sent
by e-mail (the outbox) or printed as a letter, each recorded in the guardian contact log.

The rules, whichever door a notice comes through (page, API):
- only people who may record guardian contacts for the student may draft or send one;
- never to a guardian under a no-contact order (refused here, and by a database trigger on the
  contact log, which every sent notice writes to in the same transaction as its e-mail);
- a notice about an incident names none of the other students involved: the free-text parts
  are checked for their names, and the incident's own description is never used;
- a language without reviewed texts gets the English original with its note (texts.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.contacts.models import GuardianContact
from caseflow.contacts.services import can_record_contact, record_contact
from caseflow.db import now_utc
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.notices.texts import (
    FREE_TEXT,
    MEETING_KINDS,
    NOTICE_KINDS,
    ORIGINAL,
    RenderedNotice,
    languages,
    render_notice,
    text_language,
)
from caseflow.people.models import Student, StudentGuardian

CHANNELS = ("email", "letter")
# The contact log's purpose for each kind of notice (the police gate counts escalation notices).
PURPOSES = {
    "incident": "incident_notice",
    "suspension": "incident_notice",
    "police_before": "escalation_notice",
    "police_after": "emergency_notice",
    "meeting": "general",
}
# What each kind needs written before it can go out.
REQUIRED = {
    "incident": ("what_happened", "next_steps", "contact_person"),
    "suspension": ("what_happened", "suspension_details", "next_steps", "contact_person"),
    "police_before": ("what_happened", "next_steps", "contact_person"),
    "police_after": ("what_happened", "next_steps", "contact_person"),
    "meeting": ("meeting_when", "meeting_where", "next_steps", "contact_person"),
}
MAX_FREE_TEXT = 2000


def can_send_notice(user, student: Student) -> bool:
    """Those who may record guardian contacts for the student (caseflow.contacts)."""
    return can_record_contact(user, student)


@dataclass
class NoticeDraft:
    kind: str
    student: Student
    link: StudentGuardian
    incident: Incident | None
    values: dict
    notice: RenderedNotice


def contactable_links(student: Student) -> list[StudentGuardian]:
    """The student's guardians a notice may go to (no-contact orders left out)."""
    return [link for link in student.guardian_links if link.may_be_contacted]


def suggested_values(kind: str, incident: Incident | None, actor, language: str = ORIGINAL) -> dict:
    """The free-text parts as the form first shows them: what happened in plain words (the
    incident's behaviors and place, in the notice's language where its meta.yaml has the words,
    never the incident's description, which may name other students) and the person to call
    (the one sending)."""
    from caseflow.incidents.taxonomy import get_taxonomy

    values = {name: "" for name in FREE_TEXT}
    values["contact_person"] = actor.full_name
    if incident is not None:
        taxonomy = get_taxonomy()
        words = languages().get(language) or languages()[ORIGINAL]

        def label(codes, code: str) -> str:
            return codes[code].label if code in codes else code

        behaviors = [
            words.behaviors.get(b.behavior_code) or label(taxonomy.behaviors, b.behavior_code)
            for b in incident.behaviors
        ]
        place = words.locations.get(incident.location_code) or label(
            taxonomy.locations, incident.location_code
        )
        values["what_happened"] = f"{', '.join(behaviors) or '—'} ({place})."
    return values


def _other_students(incident: Incident | None, student: Student) -> list[str]:
    if incident is None:
        return []
    names = set()
    for part in incident.students:
        if part.student_id != student.id and part.student is not None:
            names |= {part.student.first_name, part.student.last_name}
    return [n for n in names if n and len(n.strip()) >= 2]


def _check(kind, student, link, incident, values, meeting_kind) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if kind not in NOTICE_KINDS:
        fields["kind"] = [gettext("Choose a kind of notice.")]
        return fields
    if link is None or link.student_id != student.id:
        fields["link_id"] = [gettext("Choose one of this student's guardians.")]
    elif not link.may_be_contacted:
        fields["link_id"] = [gettext("This guardian is under a no-contact order and must not be contacted.")]
    if incident is not None and not any(s.student_id == student.id for s in incident.students):
        fields["incident_id"] = [gettext("Choose one of this student's incidents.")]
    elif incident is None and kind != "meeting":
        fields["incident_id"] = [gettext("Choose the incident this notice is about.")]
    if kind == "meeting" and meeting_kind not in MEETING_KINDS:
        fields["meeting_kind"] = [gettext("Choose the kind of meeting.")]
    others = _other_students(incident, student)
    for name in FREE_TEXT:
        text = values.get(name) or ""
        if len(text) > MAX_FREE_TEXT:
            fields[name] = [gettext("At most %(most)s characters.", most=MAX_FREE_TEXT)]
        named = [n for n in others if re.search(rf"\b{re.escape(n)}\b", text, re.IGNORECASE)]
        if named:
            fields[name] = [
                gettext("A notice must not name other students (%(names)s).", names=", ".join(sorted(named)))
            ]
    return fields


def draft_notice(
    *,
    actor,
    student: Student,
    kind: str,
    link_id: int | None,
    incident_id: int | None = None,
    meeting_kind: str | None = None,
    values: dict | None = None,
    require_complete: bool = False,
) -> NoticeDraft:
    """The notice of `kind` to one guardian of the student, in the guardian's language and in
    English, with the free-text `values` (the suggested ones where none is given).
    `require_complete`: every part the kind needs must be written (as for sending).
    Raises Forbidden, ValidationFailed."""
    if not can_send_notice(actor, student):
        raise Forbidden(gettext("You may not send notices to this student's guardians."))
    link = db.session.get(StudentGuardian, link_id) if link_id else None
    incident = db.session.get(Incident, incident_id) if incident_id else None
    if incident is not None and incident.district_id != student.district_id:
        incident = None
        incident_id = -1  # named, but not one of the student's: refused below
    given = {k: (v or "").strip() for k, v in (values or {}).items() if k in FREE_TEXT and v is not None}
    language = text_language(link.guardian.preferred_language if link else None, kind)
    merged = {**suggested_values(kind, incident, actor, language), **given}
    fields = _check(kind, student, link, incident if incident_id != -1 else None, merged, meeting_kind)
    if incident_id == -1:
        fields["incident_id"] = [gettext("Choose one of this student's incidents.")]
    if require_complete and kind in REQUIRED:
        for name in REQUIRED[kind]:
            if not merged.get(name):
                fields.setdefault(name, [gettext("Write this part of the notice.")])
    if fields:
        raise ValidationFailed(gettext("Some parts of the notice are not valid."), fields=fields)
    when = incident.occurred_at if incident is not None else None
    from zoneinfo import ZoneInfo

    notice = render_notice(
        kind,
        link.guardian.preferred_language,
        {
            **merged,
            "guardian_name": link.guardian.display_name,
            "student_name": student.first_name,
            "school_name": student.school.name,
            "incident_date": when.astimezone(ZoneInfo(student.school.time_zone)).date() if when else None,
            "meeting_kind_code": meeting_kind or "",
        },
    )
    return NoticeDraft(kind, student, link, incident, merged, notice)


@dataclass
class SentNotice:
    contact: GuardianContact
    draft: NoticeDraft
    letter: bytes | None = None  # the PDF, for a letter


def send_notice(
    *,
    actor,
    student: Student,
    channel: str,
    now: datetime | None = None,
    **draft_args,
) -> SentNotice:
    """Send the drafted notice by e-mail (queued in the outbox, one message with its own
    Message-ID and Content-Language) or print it as a PDF letter, and record it in the guardian
    contact log (delivery "sent"; the mail job marks an e-mail delivered or bounced). The same
    e-mail sent twice (a double click) is one message and one contact. Raises Forbidden,
    ValidationFailed."""
    from caseflow.scheduling.mail import enqueue, mail_enabled

    now = now or now_utc()
    draft = draft_notice(actor=actor, student=student, require_complete=True, **draft_args)
    guardian, notice = draft.link.guardian, draft.notice
    if channel not in CHANNELS:
        raise ValidationFailed(
            gettext("Choose how to send it."), fields={"channel": [gettext("Choose e-mail or letter.")]}
        )
    if channel == "email" and not guardian.email:
        raise ValidationFailed(
            gettext("This guardian has no e-mail address."),
            fields={"channel": [gettext("This guardian has no e-mail address: print a letter.")]},
        )
    if channel == "email" and not mail_enabled():
        raise ValidationFailed(
            gettext("E-mail is not set up here."),
            fields={"channel": [gettext("E-mail is not set up here: print a letter.")]},
        )
    message = letter = None
    if channel == "email":
        digest = hashlib.sha256(f"{guardian.email}\n{notice.subject}\n{notice.text}".encode()).hexdigest()
        key = f"notice:{draft.link.id}:{digest[:40]}"
        message = enqueue(
            to=guardian.email,
            subject=notice.subject,
            body=notice.text,
            dedupe_key=key,
            now=now,
            language=notice.language,
        )
        db.session.flush()
        earlier = db.session.scalar(
            sa.select(GuardianContact).where(GuardianContact.outbox_message_id == message.id)
        )
        if earlier is not None:
            return SentNotice(earlier, draft)
    else:
        from caseflow.notices.letter import letter_pdf

        letter = letter_pdf(notice)
    contact = record_contact(
        actor=actor,
        student=student,
        link_id=draft.link.id,
        contacted_at=now,
        method=channel,
        language=notice.language,
        reached=True,
        purpose=PURPOSES[draft.kind],
        incident_id=draft.incident.id if draft.incident else None,
        note=f"{NOTICE_KINDS[draft.kind]} ({channel}): {notice.subject}",
        now=now,
    )
    contact.notice_kind = draft.kind
    contact.delivery = "sent"
    contact.outbox_message_id = message.id if message is not None else None
    db.session.flush()
    return SentNotice(contact, draft, letter)


def record_delivery(message, state: str) -> None:
    """The mail job learned what became of an e-mail: the notice it carried is marked delivered
    or bounced (a bounced notice no longer counts as the guardian reached)."""
    db.session.execute(
        sa.update(GuardianContact)
        .where(GuardianContact.outbox_message_id == message.id)
        .values(delivery=state)
    )


def _on_delivered(message, state: str) -> None:
    record_delivery(message, state)


def listen_for_deliveries() -> None:
    """Called once at app creation: the mail job tells the notices what became of an e-mail."""
    from caseflow.scheduling.mail import delivered

    delivered.connect(_on_delivered)
