"""E-mail through an outbox: `enqueue()` writes the message in the caller's transaction;
`deliver_outbox()` (the mail job) sends what is due over SMTP and leaves a failed one for a
later attempt with a growing delay. A message is never lost, and a message already marked sent
is never sent again. A message the receiving server refuses for good (a 5xx answer) is marked
bounced and never tried again.

Whoever needs to know what became of a message (the guardian notices) listens to `delivered`
(sender: the OutboxMessage, state: "delivered" or "bounced"); the listener runs in the same
commit as the message's fate.

Each message is marked sent in its own commit as soon as the SMTP server accepts it, so a
crash in the middle of a batch re-sends at most the one message in flight; that copy carries
the same Message-ID as the first (one per outbox row, for all its tries), so the receiving
side can recognise and drop it."""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.scheduling.models import OutboxMessage

MAX_DELAY = timedelta(hours=1)
delivered = Namespace().signal("outbox-message-delivered")


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_HOST"))


def enqueue(
    *,
    to: str,
    subject: str,
    body: str,
    dedupe_key: str,
    now: datetime | None = None,
    language: str | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail (no-op when mail is not configured). `dedupe_key` is unique: the same
    message is never queued twice. `language` is the body's (its Content-Language header)."""
    if not mail_enabled() or not to:
        return None
    existing = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedupe_key=dedupe_key[:200],
        message_id=make_msgid(idstring="outbox", domain=_sender_domain()),
        to_address=to,
        subject=subject[:300],
        body=body,
        content_language=language,
        created_at=now or now_utc(),
        next_attempt_at=now or now_utc(),
    )
    db.session.add(message)
    return message


def _connect():
    cfg = current_app.config
    timeout = cfg["MAIL_TIMEOUT_SECONDS"]
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(
            cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=timeout)
        if cfg["MAIL_USE_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if cfg["MAIL_USERNAME"]:
        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
    return smtp


def _email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    # The same id on every try: a receiving server can drop a copy it has already seen.
    email["Message-ID"] = message.message_id
    email.set_content(message.body)
    if message.content_language:  # after set_content, which clears the Content-* headers
        email["Content-Language"] = message.content_language
    return email


def _sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "caseflow"


def _take(message_ids: list[int], now: datetime) -> list[OutboxMessage]:
    """Lock these messages if they are still due and no other sender holds them."""
    stmt = (
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.bounced_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two senders never take the same message
    return list(db.session.scalars(stmt))


def deliver_outbox(*, now: datetime | None = None, limit: int = 100) -> dict:
    """Send the messages that are due, each marked sent (committed) as the server accepts it.
    Returns counts of sent and failed messages."""
    now = now or now_utc()
    sent = failed = bounced = 0
    if not mail_enabled():
        return {"sent": 0, "failed": 0, "skipped": "mail is not configured"}
    from caseflow.auth.models import User

    # Nothing more goes to someone whose account was deactivated (a member of staff who left).
    left = sa.exists().where(User.email == OutboxMessage.to_address, User.active.is_(False))
    due = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.bounced_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            ~left,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    if not due:
        return {"sent": 0, "failed": 0}
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        batch = _take(due, now)
        for message in batch:
            _failed(message, exc, now)
        db.session.commit()
        return {"sent": 0, "failed": len(batch)}
    try:
        for message_id in due:
            taken = _take([message_id], now)
            if not taken:  # sent or taken by another sender meanwhile
                db.session.rollback()
                continue
            message = taken[0]
            try:
                smtp.send_message(_email(message))
            except (OSError, smtplib.SMTPException) as exc:
                if _permanent(exc):
                    _bounced(message, exc, now)
                    bounced += 1
                else:
                    _failed(message, exc, now)
                    failed += 1
            else:
                message.sent_at, message.last_error = now, None
                message.attempts += 1
                sent += 1
                delivered.send(message, state="delivered")
            db.session.commit()  # this message's fate, before the next one is handed over
    finally:
        db.session.rollback()
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return {"sent": sent, "failed": failed, **({"bounced": bounced} if bounced else {})}


def _permanent(exc: Exception) -> bool:
    """A 5xx answer: the server will never take this message (an unknown mailbox, say)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused):  # our sender address: nothing to do with them
        return False
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _bounced(message: OutboxMessage, exc: Exception, now: datetime) -> None:
    message.attempts += 1
    message.bounced_at = now
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    delivered.send(message, state="bounced")


def _failed(message: OutboxMessage, exc: Exception, now: datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.next_attempt_at = now + min(timedelta(minutes=2 ** min(message.attempts, 10)), MAX_DELAY)
