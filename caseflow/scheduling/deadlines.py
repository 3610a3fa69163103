"""The deadlines of workflows/deadlines.yaml, and finding the items past them.

Each kind of deadline has one scanner: a query over its items that yields a `DueItem` for each
one past its deadline at `now`, with the people to remind (the owner) and the people to tell
if it stays overdue (the supervisor). Reminders (reminders.py) turn these into notifications,
once per item and deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.labels import N_, Message
from caseflow.schooldays import SchoolCalendar, school_calendar
from caseflow.yamldoc import read_yaml

FILE = Path(__file__).resolve().parents[2] / "workflows" / "deadlines.yaml"
KINDS = (
    "route_assignment",
    "threat_assessment_start",
    "first_contact",
    "check_in",
    "escalation_approval",
    "agreement_item",
    "emergency_justification",
    "emergency_guardian_contact",
    "manifestation_review",
    "behavior_follow_up",
)
BY_TIER = ("first_contact", "check_in")


class DeadlinesError(Exception):
    pass


@dataclass(frozen=True)
class Deadlines:
    version: str
    escalate_after_school_days: int
    spans: dict  # kind -> {"school_days": n} | {"hours": n} | {tier: {...}}


def _span(where: str, value, errors: list[str]) -> dict | None:
    if isinstance(value, dict) and len(value) == 1:
        ((unit, n),) = value.items()
        if unit in ("school_days", "hours") and isinstance(n, int) and not isinstance(n, bool) and n >= 0:
            return {unit: n}
    errors.append(f"{where}: write {{school_days: N}} or {{hours: N}} with a whole number N >= 0")
    return None


def load_deadlines(path: Path = FILE) -> Deadlines:
    """Read and check the file; raises DeadlinesError naming the file and the problem."""
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise DeadlinesError("\n".join(errors) or f"{path}: cannot be read")
    data = doc.data if isinstance(doc.data, dict) else {}
    spans = data.get("deadlines") if isinstance(data.get("deadlines"), dict) else {}
    if set(spans) != set(KINDS):
        errors.append(f"{path}: deadlines must name exactly {', '.join(KINDS)}")
    out: dict = {}
    for kind in KINDS:
        value = spans.get(kind)
        if kind in BY_TIER:
            if not isinstance(value, dict) or set(value) != {"tier_2", "tier_3"}:
                errors.append(f"{path}: {kind}: give tier_2 and tier_3")
                continue
            out[kind] = {tier: _span(f"{path}: {kind}.{tier}", v, errors) for tier, v in value.items()}
        elif value is not None:
            out[kind] = _span(f"{path}: {kind}", value, errors)
    after = data.get("escalate_after_school_days")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        errors.append(f"{path}: escalate_after_school_days must be a whole number >= 0")
    if errors:
        raise DeadlinesError("\n".join(errors))
    return Deadlines(str(data.get("version", "")), after, out)


@cache
def deadlines() -> Deadlines:
    return load_deadlines()


def due_at(span: dict, start: datetime, tz: str, cal: SchoolCalendar) -> datetime:
    """When something that started at `start` is due, for a span of school days or hours."""
    if "hours" in span:
        return start + timedelta(hours=span["hours"])
    return cal.deadline(start, tz, span["school_days"])


def day_due(span: dict, day: date, tz: str, cal: SchoolCalendar) -> datetime:
    """The end of the school day `span` school days after `day`."""
    for _ in range(span.get("school_days", 0)):
        day = cal.next_school_day(day)
    return cal.end_of(day, tz)


@dataclass(frozen=True)
class DueItem:
    kind: str
    item_id: int
    due_at: datetime
    school_id: int
    time_zone: str
    owners: tuple[int, ...]
    supervisors: tuple[int, ...]
    text: str
    link: str


class _People:
    """The administrators of each school and of the district, looked up once per scan."""

    def __init__(self):
        from caseflow.auth.models import User, UserRole, user_schools
        from caseflow.auth.permissions import Role

        rows = db.session.execute(
            sa.select(User.id, User.district_id, User.district_wide, user_schools.c.school_id)
            .join(UserRole, UserRole.user_id == User.id)
            .outerjoin(user_schools, user_schools.c.user_id == User.id)
            .where(User.active, UserRole.role == Role.ADMINISTRATOR.value)
        ).all()
        self.by_school: dict[int, set[int]] = {}
        self.district_wide: dict[int, set[int]] = {}
        for user_id, district_id, wide, school_id in rows:
            if wide:
                self.district_wide.setdefault(district_id, set()).add(user_id)
            elif school_id is not None:
                self.by_school.setdefault(school_id, set()).add(user_id)

    def admins(self, school_id: int, district_id: int, *, exclude=()) -> tuple[int, ...]:
        found = self.by_school.get(school_id) or self.district_wide.get(district_id, set())
        return tuple(sorted(found - set(exclude)))

    def district(self, district_id: int, school_id: int, *, exclude=()) -> tuple[int, ...]:
        found = self.district_wide.get(district_id) or self.by_school.get(school_id, set())
        return tuple(sorted(found - set(exclude)))


def due_items(now: datetime) -> Iterator[DueItem]:
    """Every item past its deadline at `now`, kind by kind (one query per kind)."""
    cal, spans, people = school_calendar(), deadlines().spans, _People()
    for scan in (
        _route_assignment,
        _threat_start,
        _first_contact,
        _check_in,
        _escalation,
        _agreement,
        _emergency,
        *discipline_scanners(),
    ):
        for item in scan(now, cal, spans, people):
            if item.due_at <= now:
                yield item


def discipline_scanners():
    from caseflow.discipline.deadlines import SCANNERS

    return SCANNERS


def _route_assignment(now, cal, spans, people):
    from caseflow.cases.models import Case

    for case in db.session.scalars(
        sa.select(Case)
        .where(Case.status == "new")
        .options(selectinload(Case.school), selectinload(Case.student))
    ):
        tz = case.school.time_zone
        yield DueItem(
            "route_assignment",
            case.id,
            due_at(spans["route_assignment"], case.opened_at, tz, cal),
            case.school_id,
            tz,
            people.admins(case.school_id, case.district_id),
            people.district(case.district_id, case.school_id),
            Message(
                N_("Case #%(case)s for %(student)s waits for an owner."),
                case=case.id,
                student=case.student.display_name,
            ),
            f"/cases/{case.id}",
        )


def _threat_start(now, cal, spans, people):
    from caseflow.cases.models import Case
    from caseflow.threats.models import ThreatAssessment

    rows = db.session.execute(
        sa.select(ThreatAssessment, Case)
        .join(Case, Case.id == ThreatAssessment.case_id)
        .where(ThreatAssessment.status == "open", ThreatAssessment.started_at.is_(None))
        .options(selectinload(ThreatAssessment.student), selectinload(Case.school))
    ).all()
    for a, case in rows:
        admins = people.admins(case.school_id, case.district_id)
        yield DueItem(
            "threat_assessment_start",
            a.id,
            a.must_start_by,
            case.school_id,
            case.school.time_zone,
            (case.assignee_id,) if case.assignee_id else admins,
            admins,
            Message(
                N_("The threat assessment for %(student)s has not started."), student=a.student.display_name
            ),
            f"/cases/{case.id}/threat",
        )


def _first_contact(now, cal, spans, people):
    from caseflow.cases.models import Case

    for case in db.session.scalars(
        sa.select(Case)
        .where(Case.status == "assigned", Case.tier.in_((2, 3)))
        .options(selectinload(Case.school), selectinload(Case.student))
    ):
        tz = case.school.time_zone
        yield DueItem(
            "first_contact",
            case.id,
            due_at(spans["first_contact"][f"tier_{case.tier}"], case.opened_at, tz, cal),
            case.school_id,
            tz,
            (case.assignee_id,),
            people.admins(case.school_id, case.district_id),
            Message(
                N_("First contact with %(student)s (Tier %(tier)s) is due."),
                student=case.student.display_name,
                tier=case.tier,
            ),
            f"/cases/{case.id}",
        )


def _check_in(now, cal, spans, people):
    from caseflow.cases.models import Case, CheckIn, InterventionPlan

    last = (
        sa.select(CheckIn.plan_id, sa.func.max(CheckIn.day).label("day")).group_by(CheckIn.plan_id).subquery()
    )
    rows = db.session.execute(
        sa.select(InterventionPlan, Case, last.c.day)
        .join(Case, Case.id == InterventionPlan.case_id)
        .outerjoin(last, last.c.plan_id == InterventionPlan.id)
        .where(
            Case.status.in_(("active", "monitoring")),
            InterventionPlan.tier.in_((2, 3)),
            sa.or_(InterventionPlan.end_date.is_(None), InterventionPlan.end_date >= now.date()),
        )
        .options(selectinload(Case.school), selectinload(Case.student))
    ).all()
    for plan, case, last_day in rows:
        tz = case.school.time_zone
        since = max(last_day or plan.start_date, plan.start_date)
        yield DueItem(
            "check_in",
            plan.id,
            day_due(spans["check_in"][f"tier_{plan.tier}"], since, tz, cal),
            case.school_id,
            tz,
            (plan.owner_id,),
            people.admins(case.school_id, case.district_id),
            Message(
                N_("A check-in with %(student)s is due (Tier %(tier)s)."),
                student=case.student.display_name,
                tier=plan.tier,
            ),
            f"/cases/{case.id}",
        )


def _escalation(now, cal, spans, people):
    from caseflow.escalations.models import Escalation

    for e in db.session.scalars(
        sa.select(Escalation)
        .where(Escalation.status == "requested")
        .options(selectinload(Escalation.school), selectinload(Escalation.student))
    ):
        tz = e.school.time_zone
        yield DueItem(
            "escalation_approval",
            e.id,
            due_at(spans["escalation_approval"], e.requested_at, tz, cal),
            e.school_id,
            tz,
            people.admins(e.school_id, e.district_id, exclude=(e.requested_by_id,)),
            people.district(e.district_id, e.school_id, exclude=(e.requested_by_id,)),
            Message(
                N_("A police escalation for %(student)s waits for a second administrator."),
                student=e.student.display_name,
            ),
            f"/escalations/{e.id}",
        )


def _agreement(now, cal, spans, people):
    from caseflow.cases.models import Case
    from caseflow.restorative.models import AgreementItem, RestorativeProcess

    rows = db.session.execute(
        sa.select(AgreementItem, RestorativeProcess, Case)
        .join(RestorativeProcess, RestorativeProcess.id == AgreementItem.process_id)
        .join(Case, Case.id == RestorativeProcess.case_id)
        .where(AgreementItem.status == "open", RestorativeProcess.status == "following_up")
        .options(selectinload(Case.school), selectinload(Case.student))
    ).all()
    for item, process, case in rows:
        tz = case.school.time_zone
        owner = process.facilitator_id or case.assignee_id
        yield DueItem(
            "agreement_item",
            item.id,
            day_due(spans["agreement_item"], item.due_on, tz, cal),
            case.school_id,
            tz,
            (owner,) if owner else people.admins(case.school_id, case.district_id),
            people.admins(case.school_id, case.district_id),
            Message(
                N_("A restorative agreement item for %(student)s is past due: %(item)s"),
                student=case.student.display_name,
                item=item.description[:80],
            ),
            f"/cases/{case.id}/restorative",
        )


def _emergency(now, cal, spans, people):
    from caseflow.escalations.models import EmergencyResponse

    for r in db.session.scalars(
        sa.select(EmergencyResponse)
        .where(EmergencyResponse.justification.is_(None))
        .options(selectinload(EmergencyResponse.school), selectinload(EmergencyResponse.student))
    ):
        tz = r.school.time_zone
        yield DueItem(
            "emergency_justification",
            r.id,
            due_at(spans["emergency_justification"], r.called_at, tz, cal),
            r.school_id,
            tz,
            (r.recorded_by_id,),
            people.admins(r.school_id, r.district_id, exclude=(r.recorded_by_id,)),
            Message(
                N_("The emergency police response for %(student)s needs its justification."),
                student=r.student.display_name,
            ),
            f"/escalations/emergency/{r.id}",
        )
    for r in db.session.scalars(
        sa.select(EmergencyResponse)
        .where(EmergencyResponse.guardian_contact_id.is_(None))
        .options(selectinload(EmergencyResponse.school), selectinload(EmergencyResponse.student))
    ):
        tz = r.school.time_zone
        yield DueItem(
            "emergency_guardian_contact",
            r.id,
            due_at(spans["emergency_guardian_contact"], r.called_at, tz, cal),
            r.school_id,
            tz,
            (r.recorded_by_id,),
            people.admins(r.school_id, r.district_id, exclude=(r.recorded_by_id,)),
            f"The emergency police response for {r.student.display_name}: no guardian reached since "
            "the call. Record the contact and link it to the response.",
            f"/escalations/emergency/{r.id}",
        )


def local_day(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()
