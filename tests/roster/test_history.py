"""The history listener: whatever changes a student (here the students service behind the
page) writes the enrolment and program history; rows are closed, never deleted."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.people.models import Student
from caseflow.roster.models import Enrolment, ProgramParticipation
from tests.helpers import FROZEN_NOW


def _spans(model, student_id, *columns):
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(*columns, model.begin_date, model.end_date)
            .where(model.student_id == student_id)
            .order_by(model.id)
        )
    ]


def test_a_change_on_the_students_page_is_kept_in_the_history(app, make, clock):
    from caseflow.auth.models import User
    from caseflow.people.services import update_student

    north, south = make.school("North", code="N"), make.school("South", code="S")
    admin = make.user("administrator", district_wide=True)
    student_id = make.student(north, idea_eligible=True)
    with app.app_context():
        assert _spans(Enrolment, student_id, Enrolment.school_id) == [(north, None, None)]
        assert _spans(ProgramParticipation, student_id, ProgramParticipation.program) == [
            ("idea", None, None)
        ]
    clock.move_to(FROZEN_NOW + timedelta(days=10))
    moved = (FROZEN_NOW + timedelta(days=10)).date()
    with app.app_context(), transaction():
        update_student(
            actor=db.session.get(User, admin.id),
            student=db.session.get(Student, student_id),
            values={"school_id": south, "idea_eligible": False, "english_learner": True},
        )
    with app.app_context():
        assert _spans(Enrolment, student_id, Enrolment.school_id) == [
            (north, None, moved - timedelta(days=1)),
            (south, moved, None),
        ]
        assert _spans(ProgramParticipation, student_id, ProgramParticipation.program) == [
            ("idea", None, moved - timedelta(days=1)),
            ("english_learner", moved, None),
        ]
    clock.move_to(FROZEN_NOW + timedelta(days=30))
    with app.app_context(), transaction():
        update_student(
            actor=db.session.get(User, admin.id),
            student=db.session.get(Student, student_id),
            values={"active": False},
        )
    with app.app_context():
        spans = _spans(Enrolment, student_id, Enrolment.school_id)
        assert spans[-1] == (south, moved, (FROZEN_NOW + timedelta(days=29)).date())
        assert len(spans) == 2  # closed, never deleted


def test_a_rolled_back_flush_leaves_no_history_behind(app, make):
    school = make.school()
    with app.app_context():
        db.session.add(Student(district_id=1, school_id=school, local_id="X1", first_name="A", last_name="B"))
        db.session.add(Student(district_id=1, school_id=school, local_id="X1", first_name="C", last_name="D"))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
        db.session.add(Student(district_id=1, school_id=school, local_id="X2", first_name="E", last_name="F"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 1
        assert db.session.scalar(sa.select(Enrolment.begin_date)) is None


def test_nothing_more_is_mailed_to_a_deactivated_account(app, make):
    from caseflow.auth.models import User
    from caseflow.roster.leavers import deactivate_leaver
    from caseflow.scheduling.mail import deliver_outbox, enqueue
    from caseflow.scheduling.models import OutboxMessage

    leaver, colleague = make.user("counselor"), make.user("counselor")
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=9, MAIL_USE_STARTTLS=False, MAIL_TIMEOUT_SECONDS=2)
    with app.app_context(), transaction():
        for person in (leaver, colleague):
            enqueue(to=person.email, subject="Reminder", body="Something waits.", dedupe_key=f"t:{person.id}")
        deactivate_leaver(db.session.get(User, leaver.id), now=FROZEN_NOW)
    with app.app_context():
        assert deliver_outbox() == {"sent": 0, "failed": 1}  # only the colleague's was tried
        tried = dict(db.session.execute(sa.select(OutboxMessage.to_address, OutboxMessage.attempts)).all())
        assert tried == {leaver.email: 0, colleague.email: 1}
