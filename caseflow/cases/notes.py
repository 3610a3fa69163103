"""Case notes with access levels, and the access log of every confidential read.

- team: anyone who may see the case;
- clinical: counselors, psychologists and social workers who may see the case;
- restricted: the author and the people they named.
Anyone else who may see the case sees that such a note exists, never its text. Each time the
text of a clinical or restricted note is shown, an access-log entry ("note.read") is written to
the audit chain, with the student, so reads can be searched by student and by staff member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import CLINICAL_ROLES, Permission
from caseflow.cases.models import NOTE_LEVELS, Case, CaseNote, CaseNoteReader
from caseflow.cases.policy import can_read_case
from caseflow.db import now_utc
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.extensions import db

MAX_NOTE = 10_000


def is_clinician(user) -> bool:
    return bool(set(user.roles) & CLINICAL_ROLES)


def can_read_note(user, note: CaseNote, case: Case) -> bool:
    if not can_read_case(user, case):
        return False
    if note.level == "team" or note.author_id == user.id:
        return True
    if note.level == "clinical":
        return is_clinician(user)
    return any(r.user_id == user.id for r in note.readers)


@dataclass(frozen=True)
class ShownNote:
    note: CaseNote
    readable: bool  # False: show that it exists, not its text


def notes_for(user, case: Case, *, now: datetime | None = None) -> list[ShownNote]:
    """The case's notes as `user` may see them; logs each confidential text shown.

    Call inside a transaction: the access-log entries are written with it."""
    now = now or now_utc()
    notes = db.session.scalars(
        sa.select(CaseNote)
        .where(CaseNote.case_id == case.id)
        .order_by(CaseNote.created_at, CaseNote.id)
        .options(selectinload(CaseNote.readers), selectinload(CaseNote.author))
    ).all()
    shown = []
    for note in notes:
        readable = can_read_note(user, note, case)
        if readable and note.level != "team":
            record(
                user,
                "note.read",
                note,
                student_id=case.student_id,
                now=now,
                changes={"case_id": case.id, "level": note.level},
            )
        shown.append(ShownNote(note, readable))
    return shown


def add_note(
    *, actor, case: Case, level: str, text: str, reader_ids=(), now: datetime | None = None
) -> CaseNote:
    """Write a note. Only clinicians write clinical notes; a restricted note names its readers
    among the people who may see the case."""
    now = now or now_utc()
    if not can_read_case(actor, case) or not (
        actor.can(Permission.CASE_WORK) or actor.can(Permission.CASE_ASSIGN)
    ):
        raise Forbidden(gettext("You may not write notes on this case."))
    fields = {}
    if level not in NOTE_LEVELS:
        fields["level"] = [gettext("Choose team, clinical or restricted.")]
    elif level == "clinical" and not is_clinician(actor):
        fields["level"] = [gettext("Only counselors, psychologists and social workers write clinical notes.")]
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE:
        fields["text"] = [gettext("Write the note (at most %(max_note)s characters).", max_note=MAX_NOTE)]
    readers = []
    if level == "restricted":
        ids = sorted({int(i) for i in reader_ids if str(i).isdigit()} - {actor.id})
        readers = db.session.scalars(sa.select(User).where(User.id.in_(ids))).all() if ids else []
        if len(readers) != len(ids) or not all(can_read_case(u, case) for u in readers):
            fields["reader_ids"] = [gettext("Name only people who may see this case.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    note = CaseNote(
        case_id=case.id,
        author_id=actor.id,
        level=level,
        text=text,
        created_at=now,
        readers=[CaseNoteReader(user_id=u.id) for u in readers],
    )
    db.session.add(note)
    db.session.flush()
    # The audit event keeps the level and the readers, not the confidential text.
    record(
        actor,
        "note.added",
        note,
        student_id=case.student_id,
        now=now,
        changes={"case_id": case.id, "level": level, "readers": [u.id for u in readers]},
    )
    return note
