"""IDEA/504 protections through the services: the 10-day line, a provisional change of
placement, its manifestation determination review, what follows, and the database's refusal
of an effective change of placement without a review."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.discipline import reviews
from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.placement_models import BehaviorFollowUp
from caseflow.discipline.removals import removal_days_for
from caseflow.discipline.services import record_action
from caseflow.errors import Conflict, Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.people.models import Student
from tests.discipline.conftest import ANSWERS, team
from tests.helpers import FROZEN_NOW

NO_PATTERN = {"similar_behavior": False, "length_total_proximity": False}


def _record(iep, code="Out of School Suspension", day=date(2026, 11, 18), length=None, who=None, **kw):
    incident = db.session.get(Incident, kw.pop("incident", iep.incident))
    actor = db.session.get(User, (who or iep.admin).id)
    action, _ = record_action(
        answers=ANSWERS,
        actor=actor,
        incident=incident,
        student_id=iep.student,
        action_code=code,
        action_date=day,
        length_days=None if length is None else Decimal(length),
        now=kw.pop("now", FROZEN_NOW),
        **kw,
    )
    db.session.flush()
    return action


def test_crossing_the_line_is_a_provisional_change_of_placement(db_session, iep):
    first = _record(iep, length=6)
    assert (first.status, first.change_of_placement) == ("in_effect", False)
    with pytest.raises(ValidationFailed) as refused:  # earlier removals: the pattern questions
        _record(iep, day=date(2026, 12, 1), length=3, incident=iep.incidents[1])
    assert "pattern_answers" in refused.value.fields
    second = _record(
        iep, day=date(2026, 12, 1), length=5, incident=iep.incidents[1], pattern_answers=NO_PATTERN
    )
    assert (second.status, second.placement_reason) == ("provisional", "cumulative")
    # Decided Tue 17 Nov (09:30 in Chicago): 10 school days later, with Thanksgiving, is Fri 4 Dec.
    assert second.review_due_on == date(2026, 12, 4)
    student = db.session.get(Student, iep.student)
    assert removal_days_for(student, 2026).total == 11


def test_long_removals_and_patterns_are_changes_of_placement(db_session, iep):
    long = _record(iep, length=11)
    assert long.placement_reason == "consecutive"
    expulsion = _record(iep, code="Expulsion", day=date(2026, 11, 19))  # no length: indefinite
    assert expulsion.placement_reason == "consecutive" and expulsion.status == "provisional"


def test_a_pattern_answered_yes_is_a_change_of_placement(db_session, iep):
    _record(iep, length=2)
    pattern = {"similar_behavior": True, "length_total_proximity": True, "note": "Third time in a month"}
    action = _record(
        iep, day=date(2026, 11, 23), length=2, incident=iep.incidents[1], pattern_answers=pattern
    )
    assert action.placement_reason == "pattern" and action.pattern_answers["note"] == "Third time in a month"


def test_students_without_a_plan_are_not_held(db_session, iep, lincoln):
    db.session.get(Student, iep.student).idea_eligible = False
    action = _record(iep, length=15)
    assert (action.status, action.change_of_placement) == ("in_effect", False)


def test_the_database_refuses_an_effective_change_of_placement_without_a_review(db_session, iep):
    action = _record(iep, length=12)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(DisciplineAction).where(DisciplineAction.id == action.id).values(status="in_effect")
        )
        db.session.flush()


def test_scheduling_the_review_lets_the_removal_take_effect(db_session, iep):
    action = _record(iep, length=12)
    admin = db.session.get(User, iep.admin.id)
    with pytest.raises(ValidationFailed) as refused:
        reviews.schedule_review(actor=admin, action=action, meets_on=date(2026, 12, 7), team=team(iep)[:1])
    assert set(refused.value.fields) == {"meets_on", "team"}
    review = reviews.schedule_review(
        actor=admin, action=action, meets_on=date(2026, 12, 2), team=team(iep), now=FROZEN_NOW
    )
    assert action.status == "in_effect" and action.manifestation_review_id == review.id
    assert sorted(m.role for m in review.team) == ["district_representative", "iep_team", "parent"]
    with pytest.raises(Conflict):
        reviews.schedule_review(actor=admin, action=action, meets_on=date(2026, 12, 2), team=team(iep))
    teacher = db.session.scalar(sa.select(User).where(User.email.like("teacher%")))
    other = _record(iep, code="Expulsion", day=date(2026, 11, 20))
    with pytest.raises(Forbidden):
        reviews.schedule_review(actor=teacher, action=other, meets_on=date(2026, 12, 2), team=team(iep))


def test_a_manifestation_returns_the_student_and_sets_the_fba_and_bip(db_session, iep):
    action = _record(iep, length=12)  # from Wed 18 Nov
    admin = db.session.get(User, iep.admin.id)
    review = reviews.schedule_review(actor=admin, action=action, meets_on=date(2026, 11, 20), team=team(iep))
    meeting = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # Fri 20 Nov, noon in Chicago
    with pytest.raises(ValidationFailed) as refused:  # no weapon, drugs or injury in the incident
        reviews.record_determination(
            actor=admin,
            review=review,
            caused_by_disability=True,
            failed_to_implement_iep=False,
            what_follows="Back in class Monday",
            interim_setting_days=20,
            now=meeting,
        )
    assert "interim_setting_days" in refused.value.fields
    reviews.record_determination(
        actor=admin,
        review=review,
        caused_by_disability=True,
        failed_to_implement_iep=False,
        what_follows="Back in class Monday",
        now=meeting,
    )
    assert review.is_manifestation and action.status == "ended"
    assert action.actual_length_days == 2  # Wed 18 and Thu 19 were served
    follow_ups = db.session.scalars(sa.select(BehaviorFollowUp).order_by(BehaviorFollowUp.kind)).all()
    # 10 school days after Fri 20 Nov: 23, 24, 30, 1, 2, 3, 4, 7, 8, 9 Dec.
    assert [(f.kind, f.due_on) for f in follow_ups] == [
        ("bip", date(2026, 12, 9)),
        ("fba", date(2026, 12, 9)),
    ]
    assert removal_days_for(db.session.get(Student, iep.student), 2026).total == 2
    # The assessment is recorded done: not in the future, not before the review met, once.
    fba = next(f for f in follow_ups if f.kind == "fba")
    later = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    for day in (date(2026, 12, 2), date(2026, 11, 19), None):
        with pytest.raises(ValidationFailed) as refused:
            reviews.complete_follow_up(
                actor=admin, action=action, follow_up_id=fba.id, done_on=day, now=later
            )
        assert "done_on" in refused.value.fields
    reviews.complete_follow_up(
        actor=admin, action=action, follow_up_id=fba.id, done_on=date(2026, 11, 30), now=later
    )
    assert fba.done_on == date(2026, 11, 30)
    with pytest.raises(Conflict):
        reviews.complete_follow_up(
            actor=admin, action=action, follow_up_id=fba.id, done_on=date(2026, 12, 1), now=later
        )
    assert [f.kind for f in reviews.follow_ups_of(action) if f.done_on is None] == ["bip"]


def test_special_circumstances_allow_an_interim_setting(db_session, iep):
    db.session.get(Incident, iep.incident).weapon_code = "knife"
    action = _record(iep, length=12)
    admin = db.session.get(User, iep.admin.id)
    review = reviews.schedule_review(actor=admin, action=action, meets_on=date(2026, 11, 20), team=team(iep))
    reviews.record_determination(
        actor=admin,
        review=review,
        caused_by_disability=True,
        failed_to_implement_iep=False,
        what_follows="Interim setting at the district's alternative program",
        interim_setting_days=45,
        now=datetime(2026, 11, 20, 18, 0, tzinfo=UTC),
    )
    interim = db.session.scalar(
        sa.select(DisciplineAction).where(
            DisciplineAction.action_code == "Interim Alternative Educational Setting"
        )
    )
    assert interim.length_days == 45 and interim.manifestation_review_id == review.id


def test_safeguards_notice_on_the_day_of_the_decision(db_session, iep):
    action = _record(iep, length=12)
    admin = db.session.get(User, iep.admin.id)
    with pytest.raises(ValidationFailed) as refused:
        reviews.record_safeguards_notice(
            actor=admin, action=action, guardian_id=iep.guardian, channel="mail", given_on=date(2026, 11, 18)
        )
    assert "given_on" in refused.value.fields
    notice = reviews.record_safeguards_notice(
        actor=admin, action=action, guardian_id=iep.guardian, channel="in_person", given_on=date(2026, 11, 17)
    )
    assert notice.id is not None


def test_services_from_the_eleventh_day(db_session, iep):
    action = _record(iep, length=12)
    admin = db.session.get(User, iep.admin.id)
    reviews.schedule_review(actor=admin, action=action, meets_on=date(2026, 12, 2), team=team(iep))
    student = db.session.get(Student, iep.student)
    # 12 days from Wed 18 Nov: 18, 19, 20, 23, 24, (Thanksgiving) 30, 1, 2, 3, 4, 7, 8 Dec.
    assert reviews.days_needing_services(student, 2026) == [date(2026, 12, 7), date(2026, 12, 8)]
    service = reviews.record_removal_services(
        actor=admin,
        action=action,
        first_day=date(2026, 12, 7),
        last_day=date(2026, 12, 8),
        description="Tutoring at the library, two hours a day",
    )
    assert service.id is not None


def test_withdrawn_removal_counts_what_was_served(db_session, iep):
    action = _record(iep, length=4)
    admin = db.session.get(User, iep.admin.id)
    reviews.withdraw_action(actor=admin, action=action, served_days=Decimal(1))
    assert removal_days_for(db.session.get(Student, iep.student), 2026).total == 1
    with pytest.raises(Conflict):
        reviews.withdraw_action(actor=admin, action=action)
