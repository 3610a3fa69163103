"""Leavers: students whose enrolment ended, staff who left.

A student who left is closed (inactive): their enrolment gets its end date (the history
listener), and every record about them stays. A staff member who left is deactivated: every
session ends (the session epoch moves on), every API token is revoked and every password-reset
link spent, their open cases go to the administrators' queue with the reason "the worker
left", and nothing more is sent to them (notifications and the outbox skip inactive accounts).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseflow.audit.services import record
from caseflow.auth.models import ApiToken, User
from caseflow.auth.services import set_user_active
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.identity.models import PasswordResetToken
from caseflow.labels import N_, Message
from caseflow.people.models import Student

WORKER_LEFT = Message(N_("the worker left"))


def close_student(student: Student) -> None:
    """Close a student's enrolment; the history listener writes its end date at the flush."""
    student.active = False


def deactivate_leaver(user: User, *, now: datetime) -> int:
    """Deactivate a staff member who left; returns how many open cases went to the queue."""
    set_user_active(actor=None, user=user, active=False)
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    # A password-reset link already sent is spent too (the reset also refuses inactive accounts).
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if tokens:
        record(
            None,
            "token.revoked",
            entity_type="User",
            entity_id=user.id,
            now=now,
            changes={"tokens": [t.id for t in tokens], "reason": str(WORKER_LEFT)},
        )
    cases = db.session.scalars(
        sa.select(Case).where(Case.assignee_id == user.id, Case.status != "closed").order_by(Case.id)
    ).all()
    for case in cases:
        before = case.status
        case.assignee_id = None
        case.status = "new"  # an open case without an owner waits in the queue
        case.queue_for(WORKER_LEFT)
        db.session.flush()
        record(
            None,
            "case.requeued",
            case,
            student_id=case.student_id,
            now=now,
            changes={
                "assignee_id": {"before": user.id, "after": None},
                "status": {"before": before, "after": "new"},
                "reason": str(WORKER_LEFT),
            },
        )
    return len(cases)
