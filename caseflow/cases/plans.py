"""Intervention plans and progress-monitoring check-ins on a case."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.cases.interventions import intervention_types
from caseflow.cases.models import Case, CheckIn, InterventionPlan
from caseflow.cases.policy import can_read_case
from caseflow.cases.services import can_work_case
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.labels import N_

# How the student did against the plan's goal on a check-in day.
RATINGS = {
    0: N_("No progress"),
    1: N_("A little progress"),
    2: N_("Some progress"),
    3: N_("Goal met"),
    4: N_("Above the goal"),
}


def add_plan(
    *,
    actor,
    case: Case,
    type_code: str,
    tier: int,
    goal: str,
    frequency: str,
    start_date: date,
    end_date: date | None,
    owner_id: int,
    now: datetime | None = None,
) -> InterventionPlan:
    """Add a plan to an open case. Raises Forbidden, Conflict (closed case), ValidationFailed."""
    now = now or now_utc()
    if not can_work_case(actor, case):
        raise Forbidden(gettext("Only the case's owner or an administrator may add a plan."))
    if case.status == "closed":
        raise Conflict(gettext("The case is closed; reopen it to add a plan."))
    fields = {}
    if type_code not in intervention_types():
        fields["type_code"] = [gettext("Choose an intervention from the list.")]
    if tier not in (1, 2, 3):
        fields["tier"] = [gettext("Choose Tier 1, 2 or 3.")]
    if not goal or not goal.strip():
        fields["goal"] = [gettext("Write the goal, in terms you can rate at each check-in.")]
    if not frequency or not frequency.strip():
        fields["frequency"] = [gettext("Say how often (daily, twice a week …).")]
    if end_date and start_date and end_date < start_date:
        fields["end_date"] = [gettext("The end must not be before the start.")]
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active or not can_read_case(owner, case):
        fields["owner_id"] = [gettext("Choose someone who works with this case.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    plan = InterventionPlan(
        case_id=case.id,
        type_code=type_code,
        tier=tier,
        goal=goal.strip(),
        frequency=frequency.strip(),
        start_date=start_date,
        end_date=end_date,
        owner_id=owner.id,
        created_at=now,
        check_ins=[],
    )
    db.session.add(plan)
    db.session.flush()
    record(
        actor,
        "plan.added",
        plan,
        student_id=case.student_id,
        now=now,
        changes={
            "case_id": case.id,
            "type": type_code,
            "tier": tier,
            "start": start_date,
            "end": end_date,
            "owner_id": owner.id,
            "frequency": plan.frequency,
        },
    )
    return plan


def add_check_in(
    *,
    actor,
    plan: InterventionPlan,
    case: Case,
    day: date,
    rating: int,
    note: str | None,
    today: date | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Record a check-in on a plan (the day must fall in the plan and not in the future)."""
    now = now or now_utc()
    today = today or now.date()
    if not can_work_case(actor, case) and plan.owner_id != actor.id:
        raise Forbidden(
            gettext("Only the plan's owner, the case's owner or an administrator may record check-ins.")
        )
    fields = {}
    if rating not in RATINGS:
        fields["rating"] = [gettext("Rate from 0 (no progress) to 4 (above the goal).")]
    if day > today:
        fields["day"] = [gettext("A check-in cannot be in the future.")]
    elif day < plan.start_date or (plan.end_date and day > plan.end_date):
        fields["day"] = [gettext("Choose a day within the plan's dates.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    check_in = CheckIn(
        plan=plan,
        day=day,
        rating=rating,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
        created_at=now,
    )
    db.session.add(check_in)
    db.session.flush()
    record(
        actor,
        "check_in.added",
        check_in,
        student_id=case.student_id,
        now=now,
        changes={"plan_id": plan.id, "day": day, "rating": rating},
    )
    return check_in


def chart_points(check_ins: list[CheckIn], width: int = 320, height: int = 120, pad: int = 16) -> list[tuple]:
    """(x, y, check-in) for an SVG line of ratings over time, oldest on the left."""
    if not check_ins:
        return []
    days = [c.day for c in check_ins]
    first, span = min(days), max((max(days) - min(days)).days, 1)
    points = []
    for c in sorted(check_ins, key=lambda c: (c.day, c.id)):
        x = pad + (width - 2 * pad) * ((c.day - first).days / span if len(days) > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * c.rating / 4
        points.append((round(x, 1), round(y, 1), c))
    return points
