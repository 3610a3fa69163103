"""What the scheduler keeps: reminders sent (once per item, deadline and stage), the e-mail
outbox, and a record of each job run for the system administrators' page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db


class Reminder(db.Model):
    """One reminder (to the owner) or escalation (to the supervisor) for one item's deadline.
    The unique key is what makes it exactly once, whichever process gets there first."""

    __tablename__ = "reminders"
    __table_args__ = (sa.UniqueConstraint("kind", "item_id", "due_at", "stage", name="uq_reminders_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    item_id: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(enum_column_type(("reminder", "escalation"), "stage"))
    recipients: Mapped[list] = mapped_column(sa.JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class OutboxMessage(db.Model):
    """An e-mail to send. Written in the same transaction as what it announces; the mail job
    sends it over SMTP and retries a failed send later: nothing is lost, nothing sent twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # The Message-ID of every try: a receiver that got a copy before a crash can drop the next.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # The language of the body (a Content-Language header), for e-mails to families.
    content_language: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # The server refused the recipient for good (a 5xx): never tried again.
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRun(db.Model):
    """One run of a scheduled job (or a run skipped because another process held its lock)."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(60))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(enum_column_type(("running", "ok", "failed"), "outcome"))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    host: Mapped[str | None] = mapped_column(sa.String(200))
