"""A student's timeline: incidents, triage decisions, cases, plans and check-ins, newest
first, showing only what the viewer may see. A fixed number of queries whatever the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseflow.cases.models import Case, InterventionPlan
from caseflow.cases.policy import visible_cases
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentStudent
from caseflow.incidents.policy import can_see_decisions, visible_incidents
from caseflow.people.models import Student
from caseflow.triage.facts import ROUTES
from caseflow.triage.models import TriageDecision


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # incident, decision, case, plan, check_in
    text: str
    endpoint: str | None = None
    args: dict | None = None


def _day(d) -> datetime:
    return datetime.combine(d, time(12), tzinfo=UTC)


def student_record(user, student: Student, *, limit: int = 200) -> tuple[list[Entry], list[InterventionPlan]]:
    """The timeline and the plans (with check-ins) the viewer may see, for the progress charts."""
    entries: list[Entry] = []
    plans: list[InterventionPlan] = []
    incidents = db.session.scalars(
        visible_incidents(user)
        .where(Incident.students.any(IncidentStudent.student_id == student.id))
        .order_by(Incident.occurred_at.desc())
        .limit(limit)
        .options(selectinload(Incident.behaviors), selectinload(Incident.students))
    ).all()
    for i in incidents:
        role = next((s.role for s in i.students if s.student_id == student.id), "")
        entries.append(
            Entry(
                i.occurred_at,
                "incident",
                f"Incident: {', '.join(i.behavior_codes).replace('_', ' ')} ({role})",
                "incidents.detail",
                {"incident_id": i.id},
            )
        )
    if incidents and can_see_decisions(user):
        for d in db.session.scalars(
            sa.select(TriageDecision).where(
                TriageDecision.student_id == student.id,
                TriageDecision.is_current,
                TriageDecision.incident_id.in_([i.id for i in incidents]),
            )
        ):
            routes = ", ".join(ROUTES[r] for r in d.routes) or "no route"
            entries.append(
                Entry(
                    d.decided_at,
                    "decision",
                    f"Triage: Tier {d.tier}, {routes}"
                    f"{' (reviewed by a person)' if d.kind == 'override' else ''}",
                    "incidents.detail",
                    {"incident_id": d.incident_id},
                )
            )
    cases = db.session.scalars(
        visible_cases(user).where(Case.student_id == student.id).order_by(Case.opened_at.desc()).limit(limit)
    ).all()
    for c in cases:
        entries.append(
            Entry(
                c.opened_at,
                "case",
                f"Case opened: {c.kind.replace('_', ' ')}, Tier {c.tier} — now {c.status}",
                "cases.detail",
                {"case_id": c.id},
            )
        )
        if c.closed_at:
            entries.append(
                Entry(
                    c.closed_at,
                    "case",
                    f"Case closed: {(c.outcome or '').replace('_', ' ')}",
                    "cases.detail",
                    {"case_id": c.id},
                )
            )
    if cases:
        plans = db.session.scalars(
            sa.select(InterventionPlan)
            .where(InterventionPlan.case_id.in_([c.id for c in cases]))
            .options(selectinload(InterventionPlan.check_ins))
        ).all()
        for p in plans:
            entries.append(
                Entry(
                    _day(p.start_date),
                    "plan",
                    f"Plan started: {p.type_code.replace('_', ' ')} — {p.goal}",
                    "cases.detail",
                    {"case_id": p.case_id},
                )
            )
            for ci in p.check_ins:
                entries.append(
                    Entry(
                        _day(ci.day),
                        "check_in",
                        f"Check-in: {ci.rating}/4",
                        "cases.detail",
                        {"case_id": p.case_id},
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit], list(plans)
