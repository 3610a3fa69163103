"""A student's timeline: incidents, triage decisions, cases, plans and check-ins, newest
first, showing only what the viewer may see. A fixed number of queries whatever the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from caseflow.cases.assignment import KIND_LABELS
from caseflow.cases.interventions import intervention_types
from caseflow.cases.models import Case, InterventionPlan
from caseflow.cases.policy import visible_cases
from caseflow.extensions import db
from caseflow.i18n import DEFAULT_LANGUAGE, current_language
from caseflow.incidents.models import Incident, IncidentStudent
from caseflow.incidents.policy import can_see_decisions, visible_incidents
from caseflow.labels import translated
from caseflow.people.models import Student
from caseflow.triage.facts import ROUTES, code_words
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
                gettext(
                    "Incident: %(behaviors)s (%(role)s)",
                    behaviors=", ".join(code_words("behaviors", c, spaced=True) for c in i.behavior_codes),
                    role=code_words("participation_roles", role),
                ),
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
            routes = ", ".join(translated(ROUTES[r]) for r in d.routes) or gettext("no route")
            entries.append(
                Entry(
                    d.decided_at,
                    "decision",
                    gettext(
                        "Triage: Tier %(tier)s, %(routes)s (reviewed by a person)", tier=d.tier, routes=routes
                    )
                    if d.kind == "override"
                    else gettext("Triage: Tier %(tier)s, %(routes)s", tier=d.tier, routes=routes),
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
                gettext(
                    "Case opened: %(kind)s, Tier %(tier)s — now %(status)s",
                    kind=c.kind.replace("_", " ")
                    if current_language() == DEFAULT_LANGUAGE
                    else translated(KIND_LABELS[c.kind]),
                    tier=c.tier,
                    status=c.status,
                ),
                "cases.detail",
                {"case_id": c.id},
            )
        )
        if c.closed_at:
            entries.append(
                Entry(
                    c.closed_at,
                    "case",
                    gettext("Case closed: %(outcome)s", outcome=(c.outcome or "").replace("_", " ")),
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
                    gettext(
                        "Plan started: %(type)s — %(goal)s",
                        type=p.type_code.replace("_", " ")
                        if current_language() == DEFAULT_LANGUAGE or p.type_code not in intervention_types()
                        else translated(intervention_types()[p.type_code].label),
                        goal=p.goal,
                    ),
                    "cases.detail",
                    {"case_id": p.case_id},
                )
            )
            for ci in p.check_ins:
                entries.append(
                    Entry(
                        _day(ci.day),
                        "check_in",
                        gettext("Check-in: %(rating)s/4", rating=ci.rating),
                        "cases.detail",
                        {"case_id": p.case_id},
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit], list(plans)
