"""What the scheduler watches for removals (caseflow/scheduling/deadlines.py calls these
scanners; reminders.py sends each item once per deadline):

- the case manager of a student with an IEP or 504 plan is told when the student's removal days
  in the school year reach 5 and 8 (once each per school year: the item's "deadline" is the
  start of the school year);
- a provisional change of placement whose manifestation determination review is not scheduled
  by the end of the school day after the decision (workflows/deadlines.yaml), then escalated;
- a functional behavioral assessment or behavior intervention plan past its due day.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseflow.discipline.models import REMOVALS, DisciplineAction
from caseflow.discipline.placement_models import BehaviorFollowUp
from caseflow.discipline.removals import ALERTS, COUNTED, decision_day, tally
from caseflow.discipline.reviews import case_manager_ids
from caseflow.extensions import db
from caseflow.labels import N_, Day, Lower, Message
from caseflow.people.models import Student
from caseflow.reports.periods import school_year_of

ALERT_KINDS = tuple(f"removal_days_{n}" for n in ALERTS)


def removal_alerts(now, cal, spans, people):
    from caseflow.scheduling.deadlines import DueItem

    year = school_year_of(now.date())
    first, after = datetime(year, 8, 1).date(), datetime(year + 1, 8, 1).date()
    actions = db.session.scalars(
        sa.select(DisciplineAction)
        .join(Student, Student.id == DisciplineAction.student_id)
        .where(
            sa.or_(Student.idea_eligible, Student.section_504),
            DisciplineAction.action_code.in_(sorted(REMOVALS)),
            DisciplineAction.status.in_(COUNTED),
            DisciplineAction.action_date >= first,
            DisciplineAction.action_date < after,
        )
        .order_by(DisciplineAction.student_id, DisciplineAction.action_date, DisciplineAction.id)
        .options(selectinload(DisciplineAction.student).selectinload(Student.school))
    ).all()
    by_student: dict[int, list[DisciplineAction]] = {}
    for action in actions:
        by_student.setdefault(action.student_id, []).append(action)
    start = datetime(year, 8, 1, tzinfo=UTC)  # one alert of each kind per school year
    for student_id, own in by_student.items():
        student = own[0].student
        total = tally(student_id, True, year, own, cal).total
        for threshold, kind in zip(ALERTS, ALERT_KINDS, strict=True):
            if total >= threshold:
                yield DueItem(
                    kind,
                    student_id,
                    start,
                    student.school_id,
                    student.school.time_zone,
                    case_manager_ids(student),
                    (),
                    Message(
                        N_(
                            "%(student)s has %(days)s school days of removal this school year "
                            "(IEP or 504 plan: a change of placement past 10)."
                        ),
                        student=student.display_name,
                        days=f"{total.normalize():f}",
                    ),
                    f"/students/{student_id}#removals",
                )


def unscheduled_reviews(now, cal, spans, people):
    from caseflow.scheduling.deadlines import DueItem, day_due

    for action in db.session.scalars(
        sa.select(DisciplineAction)
        .where(DisciplineAction.status == "provisional", DisciplineAction.change_of_placement)
        .options(selectinload(DisciplineAction.student).selectinload(Student.school))
    ):
        tz = action.student.school.time_zone
        owners = tuple(dict.fromkeys((action.recorded_by_id, *case_manager_ids(action.student))))
        yield DueItem(
            "manifestation_review",
            action.id,
            day_due(spans["manifestation_review"], decision_day(action.recorded_at, tz), tz, cal),
            action.school_id,
            tz,
            owners,
            people.district(action.district_id, action.school_id),
            Message(
                N_(
                    "%(student)s's %(action)s waits for its manifestation determination review, "
                    "to meet by %(day)s."
                ),
                student=action.student.display_name,
                action=Lower(action.label),
                day=Day(action.review_due_on),
            ),
            f"/discipline-actions/{action.id}/review",
        )


def behavior_follow_ups(now, cal, spans, people):
    from caseflow.scheduling.deadlines import DueItem, day_due

    for item in db.session.scalars(
        sa.select(BehaviorFollowUp)
        .where(BehaviorFollowUp.done_on.is_(None))
        .options(selectinload(BehaviorFollowUp.student).selectinload(Student.school))
    ):
        tz = item.student.school.time_zone
        yield DueItem(
            "behavior_follow_up",
            item.id,
            day_due(spans["behavior_follow_up"], item.due_on, tz, cal),
            item.student.school_id,
            tz,
            (item.owner_id,) if item.owner_id else case_manager_ids(item.student),
            people.admins(item.student.school_id, item.student.district_id),
            Message(
                N_("The %(what)s for %(student)s was due %(day)s."),
                what=Lower(item.label),
                student=item.student.display_name,
                day=Day(item.due_on),
            ),
            f"/students/{item.student_id}#removals",
        )


SCANNERS = (removal_alerts, unscheduled_reviews, behavior_follow_ups)
