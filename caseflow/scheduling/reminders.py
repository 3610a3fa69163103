"""Reminding owners of overdue items, then escalating to their supervisors, exactly once.

For each item past its deadline: the owner is reminded (stage "reminder"). If the item is
still waiting at the end of the school day `escalate_after_school_days` after the day of that
reminder, the supervisors are told (stage "escalation"). Each (kind, item, deadline, stage)
is a unique row in `reminders`, inserted in the same transaction as its notifications and
e-mails: two scheduler processes, a restart or overlapping runs can only ever insert it once;
the loser's transaction rolls back.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.labels import N_, Message, translated
from caseflow.scheduling.deadlines import DueItem, day_due, deadlines, due_items, local_day
from caseflow.scheduling.models import Reminder
from caseflow.schooldays import school_calendar

KIND_WORDS = {
    "route_assignment": N_("Case waiting for an owner"),
    "threat_assessment_start": N_("Threat assessment not started"),
    "first_contact": N_("First contact is due"),
    "check_in": N_("Check-in due"),
    "escalation_approval": N_("Police escalation waiting for approval"),
    "agreement_item": N_("Restorative agreement item past due"),
    "emergency_justification": N_("Emergency police response without justification"),
    "emergency_guardian_contact": N_("Emergency police response without a guardian reached"),
    "manifestation_review": N_("Manifestation determination review not scheduled"),
    "behavior_follow_up": N_("Behavioral assessment or plan past due"),
    "removal_days_5": N_("5 removal days for a student with an IEP or 504 plan"),
    "removal_days_8": N_("8 removal days for a student with an IEP or 504 plan"),
}


def run_deadlines(*, now: datetime | None = None) -> dict:
    """One pass over every deadline. Returns how many reminders and escalations were sent."""
    now = now or now_utc()
    items = list(due_items(now))
    sent = db.session.execute(
        sa.select(Reminder.kind, Reminder.item_id, Reminder.due_at, Reminder.stage, Reminder.sent_at)
    ).all()
    db.session.rollback()  # end the read; each reminder below is its own transaction
    done = {(k, i, d, s): at for k, i, d, s, at in sent}
    after = deadlines().escalate_after_school_days
    counts = {"reminder": 0, "escalation": 0}
    for item in items:
        reminded_at = done.get((item.kind, item.item_id, item.due_at, "reminder"))
        if reminded_at is None:
            counts["reminder"] += _send(item, "reminder", item.owners, now)
        elif (item.kind, item.item_id, item.due_at, "escalation") not in done:
            reminded_day = local_day(reminded_at, item.time_zone)
            if day_due({"school_days": after}, reminded_day, item.time_zone, school_calendar()) <= now:
                counts["escalation"] += _send(item, "escalation", item.supervisors, now)
    return counts


def _send(item: DueItem, stage: str, recipients: tuple[int, ...], now: datetime) -> int:
    """Insert the reminder and its messages in one transaction; 0 if another process won."""
    from caseflow.notifications.services import notify

    recipients = tuple(r for r in recipients if r)
    if not recipients:
        return 0
    words = KIND_WORDS[item.kind]

    if stage == "escalation":
        text = Message(N_("Overdue, still waiting: %(what)s. %(item)s"), what=words, item=item.text)
    else:
        text = Message(N_("Reminder: %(what)s. %(item)s"), what=words, item=item.text)

    def subject() -> str:
        return gettext("Caseflow: %(what)s", what=translated(words))

    try:
        reminder = Reminder(
            kind=item.kind,
            item_id=item.item_id,
            due_at=item.due_at,
            stage=stage,
            recipients=list(recipients),
            sent_at=now,
        )
        db.session.add(reminder)
        db.session.flush()  # the unique key decides, here, who sends it
        for user_id in recipients:
            notify(
                user_id,
                text,
                item.link,
                now=now,
                email_subject=subject,
                priority="urgent" if stage == "escalation" else "soon",
            )
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return 0
    return 1
