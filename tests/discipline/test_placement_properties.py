"""Whatever administrators do -- removals of any kind and length on any day, reviews scheduled
on any day with any team, answers, withdrawals, the clock moving on -- a student with an IEP
never has an effective removal past the 10th school day of the year without a manifestation
determination review scheduled in time (within 10 school days of the decision)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from caseflow.auth.models import User
from caseflow.discipline import reviews
from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.placement_models import (
    BehaviorFollowUp,
    ManifestationReview,
    ManifestationTeamMember,
    RemovalService,
    SafeguardsNotice,
)
from caseflow.discipline.removals import LINE, counted_length, decision_day, review_due_on
from caseflow.discipline.services import record_action
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.schooldays import school_calendar
from tests.discipline.conftest import ANSWERS, team
from tests.helpers import FROZEN_NOW

FIRST_DAY = date(2026, 11, 18)
CODES = (
    "Out of School Suspension",
    "In School Suspension",
    "Expulsion",
    "Removal to Alternative Setting",
    "Removal from Classroom",
)
EFFECTIVE = ("in_effect", "ended", "withdrawn")


def test_no_effective_removal_past_the_tenth_day_without_a_timely_review(db_session, iep):
    admin = db.session.get(User, iep.admin.id)
    full_team = team(iep)

    class Removals(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.now = FROZEN_NOW
            self.actions: list[int] = []

        def teardown(self):
            # On SQLite, releasing the first savepoint of a transaction commits it: clear up.
            db.session.rollback()
            for model in (BehaviorFollowUp, RemovalService, SafeguardsNotice, DisciplineAction):
                db.session.execute(sa.delete(model))
            db.session.execute(sa.delete(ManifestationTeamMember))
            db.session.execute(sa.delete(ManifestationReview))
            db.session.commit()

        @rule(days=st.integers(0, 4))
        def time_passes(self, days):
            self.now += timedelta(days=days, hours=days)

        @rule(
            incident=st.sampled_from(iep.incidents),
            code=st.sampled_from(CODES),
            offset=st.integers(0, 40),
            length=st.sampled_from([None, "0.5", "1", "2", "3", "5", "6", "8", "10", "11", "15"]),
            pattern=st.fixed_dictionaries(
                {"similar_behavior": st.booleans(), "length_total_proximity": st.booleans()}
            ),
        )
        def record(self, incident, code, offset, length, pattern):
            try:
                action, _ = record_action(
                    answers=ANSWERS,
                    actor=admin,
                    incident=db.session.get(Incident, incident),
                    student_id=iep.student,
                    action_code=code,
                    action_date=FIRST_DAY + timedelta(days=offset),
                    length_days=None if length is None else Decimal(length),
                    pattern_answers=pattern,
                    now=self.now,
                )
            except DomainError:
                return
            self.actions.append(action.id)

        @rule(pick=st.integers(0, 50), after=st.integers(-2, 16), whole_team=st.booleans())
        def schedule(self, pick, after, whole_team):
            if not self.actions:
                return
            action = db.session.get(DisciplineAction, self.actions[pick % len(self.actions)])
            try:
                reviews.schedule_review(
                    actor=admin,
                    action=action,
                    meets_on=FIRST_DAY + timedelta(days=after),
                    team=full_team if whole_team else full_team[1:],
                    now=self.now,
                )
            except DomainError:
                pass

        @rule(
            pick=st.integers(0, 50),
            caused=st.booleans(),
            failed=st.booleans(),
            interim=st.sampled_from([None, 20, 45]),
        )
        def decide(self, pick, caused, failed, interim):
            found = db.session.scalars(sa.select(ManifestationReview).order_by(ManifestationReview.id)).all()
            if not found:
                return
            try:
                reviews.record_determination(
                    actor=admin,
                    review=found[pick % len(found)],
                    caused_by_disability=caused,
                    failed_to_implement_iep=failed,
                    what_follows="Decided by the team.",
                    interim_setting_days=interim,
                    now=self.now,
                )
            except DomainError:
                pass

        @rule(pick=st.integers(0, 50), served=st.sampled_from(["0", "1", "2"]))
        def withdraw(self, pick, served):
            if not self.actions:
                return
            action = db.session.get(DisciplineAction, self.actions[pick % len(self.actions)])
            try:
                reviews.withdraw_action(actor=admin, action=action, served_days=Decimal(served), now=self.now)
            except DomainError:
                pass

        @invariant()
        def never_past_the_line_without_a_timely_review(self):
            cal = school_calendar()
            db.session.flush()
            actions = db.session.scalars(
                sa.select(DisciplineAction).where(DisciplineAction.student_id == iep.student)
            ).all()
            ordinary = Decimal(0)
            for action in actions:
                if action.status not in EFFECTIVE:
                    continue
                days = counted_length(action, cal)
                if not action.change_of_placement:
                    ordinary += days
                    continue
                if days == 0 and action.status == "withdrawn":
                    continue
                assert action.manifestation_review_id is not None, action.id
                review = db.session.get(ManifestationReview, action.manifestation_review_id)
                decided = decision_day(action.recorded_at, "America/Chicago")
                if action.placement_reason != "special_circumstances":
                    assert action.review_due_on == review_due_on(decided, cal)
                assert review.meets_on <= action.review_due_on
            # Removals that were not changes of placement never add up past the line.
            assert ordinary <= LINE

    run_state_machine_as_test(
        Removals,
        settings=settings(
            max_examples=50,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
