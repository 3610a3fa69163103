"""The scheduler tells the case manager at 5 and at 8 removal days, once each per school year,
and reminds the administrator of a change of placement whose review is not scheduled."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.db import transaction
from caseflow.discipline.reviews import case_manager_ids
from caseflow.discipline.services import record_action
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.notifications.models import Notification
from caseflow.people.models import Student
from caseflow.scheduling.reminders import run_deadlines
from tests.discipline.conftest import ANSWERS
from tests.helpers import FROZEN_NOW

NO_PATTERN = {"similar_behavior": False, "length_total_proximity": False}


def _record(app, iep, incident, day, length):
    with app.app_context(), transaction():
        action, _ = record_action(
            answers=ANSWERS,
            actor=db.session.get(User, iep.admin.id),
            incident=db.session.get(Incident, incident),
            student_id=iep.student,
            action_code="Out of School Suspension",
            action_date=day,
            length_days=Decimal(length),
            pattern_answers=NO_PATTERN,
            now=FROZEN_NOW,
        )
        return action.id


def _alerts(app) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(
            sa.select(Notification.user_id, Notification.text)
            .where(Notification.text.like("%removal days for a student%"))
            .order_by(Notification.id)
        ).all()


def test_the_case_manager_is_told_at_five_and_eight_days_once_each(app, iep):
    with app.app_context():
        managers = case_manager_ids(db.session.get(Student, iep.student))
    assert managers
    _record(app, iep, iep.incidents[0], date(2026, 11, 18), 4)
    with app.app_context():
        run_deadlines(now=FROZEN_NOW + timedelta(minutes=5))
    assert _alerts(app) == []
    _record(app, iep, iep.incidents[1], date(2026, 11, 30), 1)
    with app.app_context():
        run_deadlines(now=FROZEN_NOW + timedelta(minutes=10))
        run_deadlines(now=FROZEN_NOW + timedelta(days=3))
    five = _alerts(app)
    assert {user for user, _ in five} == set(managers) and len(five) == len(managers)
    assert all("5 removal days" in text and "5 school days of removal" in text for _, text in five)
    _record(app, iep, iep.incidents[1], date(2026, 12, 2), 3)
    with app.app_context():
        run_deadlines(now=FROZEN_NOW + timedelta(days=4))
        run_deadlines(now=FROZEN_NOW + timedelta(days=5))
    eight = _alerts(app)[len(five) :]
    assert len(eight) == len(managers) and all("8 removal days" in text for _, text in eight)


def test_an_unscheduled_review_is_reminded(app, iep):
    _record(app, iep, iep.incidents[0], date(2026, 11, 18), 12)
    with app.app_context():
        run_deadlines(now=FROZEN_NOW + timedelta(hours=1))
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.text.like("%not scheduled%"))
        )
        # The end of the school day after the decision (Wed 18 Nov, 16:00 in Chicago) has passed.
        run_deadlines(now=FROZEN_NOW + timedelta(days=1, hours=8))
        reminded = db.session.scalars(
            sa.select(Notification.user_id).where(Notification.text.like("%not scheduled%"))
        ).all()
    assert iep.admin.id in reminded
