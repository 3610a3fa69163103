"""Telling people things: written in the same transaction as the change they are about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.labels import N_, Message, in_language_of, translated
from caseflow.notifications.models import NOTIFICATION_PRIORITIES, Notification


def notify(
    user_id: int,
    text: str | Message | Callable[[], str],
    link: str | None = None,
    *,
    now: datetime | None = None,
    email_subject: str | Callable[[], str] = N_("Caseflow: something new for you"),
    priority: str = "routine",
) -> Notification | None:
    """Queue an in-app message for `user_id` (flushed by the caller's transaction) and, when
    e-mail is configured, an e-mail through the outbox in the same transaction. Nothing is
    sent to a deactivated account (None is returned).

    The e-mail names no student: it says what kind of thing is waiting and links to it; the
    details are shown after signing in.

    Both are written in the language the person chose: `text` and `email_subject` may be
    functions, called in that language (words marked with N_ are translated as they are). A
    `Message` is also kept as such, so the bell shows it in the language the reader has chosen
    when they read it, even if they changed it since."""
    from flask import current_app

    from caseflow.auth.models import User
    from caseflow.scheduling.mail import enqueue, mail_enabled

    if link is not None and not link.startswith("/"):
        raise ValueError("notification links are paths inside Caseflow")
    recipient = db.session.get(User, user_id)
    if recipient is None or not recipient.active:
        return None
    if priority not in NOTIFICATION_PRIORITIES:
        raise ValueError(f"unknown notification priority {priority!r}")
    with in_language_of(recipient):
        words = _in_words(text)
    note = Notification(
        user_id=user_id,
        text=words[:500],
        message=text.as_json() if isinstance(text, Message) else None,
        link=link,
        priority=priority,
        created_at=now or now_utc(),
    )
    db.session.add(note)
    if mail_enabled():
        db.session.flush()
        base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
        with in_language_of(recipient):  # the reader's language, not the one of who caused it
            subject = _in_words(email_subject)
            body = gettext(
                "%(what)s.\n\nOpen it in Caseflow (the details are shown after you sign in): %(link)s\n",
                what=subject.removeprefix("Caseflow: "),
                link=f"{base}{link or '/notifications'}",
            )
        enqueue(
            to=recipient.email or "",
            subject=subject,
            body=body,
            dedupe_key=f"notification:{note.id}",
            now=now,
        )
    return note


def _in_words(text: str | Message | Callable[[], str]) -> str:
    if isinstance(text, Message):
        return text.translated()
    return text() if callable(text) else translated(text)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    """The person's latest notifications: the unread first, urgent before soon before routine,
    newest first within each; then those already read, newest first."""
    rank = sa.case(
        {p: i for i, p in enumerate(NOTIFICATION_PRIORITIES)}, value=Notification.priority, else_=9
    )
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(
                Notification.read_at.is_not(None),
                rank,
                Notification.created_at.desc(),
                Notification.id.desc(),
            )
            .limit(limit)
        )
    )


def mark_read(user_id: int, notification_id: int, *, now: datetime | None = None) -> Notification | None:
    """Mark one of the person's notifications read; None if it is not theirs."""
    note = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )
    if note is not None and note.read_at is None:
        note.read_at = now or now_utc()
    return note


def mark_all_read(user_id: int, *, now: datetime | None = None) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or now_utc())
    )
    return result.rowcount
