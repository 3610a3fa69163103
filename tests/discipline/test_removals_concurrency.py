"""Two administrators record removals for the same student with an IEP at the same moment
(PostgreSQL, two threads): the student's row lock counts them one after the other, so they
cannot both stay under the 10-day line."""

import threading
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.db import transaction
from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.services import record_action
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from tests.discipline.conftest import ANSWERS
from tests.helpers import FROZEN_NOW


def test_two_administrators_cannot_both_slip_under_the_line(app, iep, postgres_only):
    # The first administrator's transaction stays open a moment after recording; the second
    # records meanwhile. Without the lock the second would count 0 days and stay under the line.
    first_recorded = threading.Event()
    errors: list[BaseException] = []

    def decide(who, incident_id, day):
        first = who is iep.admin
        try:
            with app.app_context():
                if not first:
                    assert first_recorded.wait(timeout=10)
                with transaction():
                    record_action(
                        answers=ANSWERS,
                        actor=db.session.get(User, who.id),
                        incident=db.session.get(Incident, incident_id),
                        student_id=iep.student,
                        action_code="Out of School Suspension",
                        action_date=day,
                        length_days=Decimal(6),
                        pattern_answers={"similar_behavior": False, "length_total_proximity": False},
                        now=FROZEN_NOW,
                    )
                    if first:
                        first_recorded.set()
                        time.sleep(1)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=decide, args=(iep.admin, iep.incidents[0], date(2026, 11, 18))),
        threading.Thread(target=decide, args=(iep.second_admin, iep.incidents[1], date(2026, 11, 30))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    with app.app_context():
        statuses = sorted(db.session.scalars(sa.select(DisciplineAction.status)))
    assert statuses == ["in_effect", "provisional"]
