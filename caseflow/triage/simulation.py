"""Replaying past decisions through proposed rules, to see who a rule change would affect.

Each stored rules decision keeps the facts it was made on, so a replay judges exactly what
the rules saw at the time. The report counts, per route and per student group (race/ethnicity,
disability, English learner), how many decisions would change tier or routes, so that a
change that shifts the burden onto one group is seen before it goes live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.people.codes import RACE_ETHNICITY
from caseflow.people.models import Student
from caseflow.rules.engine import RuleSet
from caseflow.rules.facts import FactType
from caseflow.triage.facts import ROUTES, triage_registry
from caseflow.triage.models import TriageDecision
from caseflow.triage.ruleset import current_rules

EXAMPLES = 20


@dataclass
class GroupStats:
    decisions: int = 0
    tier_changed: int = 0
    tier_up: int = 0
    tier_down: int = 0
    routes_changed: int = 0

    def share(self, count: int) -> float:
        return count / self.decisions if self.decisions else 0.0


@dataclass
class SimulationReport:
    current_version: str
    proposed_version: str
    since: date | None
    total: GroupStats = field(default_factory=GroupStats)
    changed_decisions: int = 0
    route_added: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    route_removed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    groups: dict[str, dict[str, GroupStats]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(GroupStats))
    )
    examples: list[dict] = field(default_factory=list)

    def group_rows(self):
        """(dimension, group, stats, share of decisions changed) for display, in a stable order."""
        for dimension in ("race/ethnicity", "disability", "English learner"):
            for group, stats in sorted(self.groups.get(dimension, {}).items()):
                yield dimension, group, stats


def _defaults(data: dict) -> dict:
    """Stored facts back into engine types; a fact added after the decision reads as empty."""
    out = {}
    for fact in triage_registry():
        value = data.get(fact.name)
        if fact.type is FactType.TEXT_SET:
            out[fact.name] = frozenset(value or ())
        elif value is None:
            out[fact.name] = {FactType.INT: 0, FactType.BOOL: False, FactType.TEXT: ""}[fact.type]
        else:
            out[fact.name] = value
    return out


def _disability(facts: dict) -> str:
    if facts.get("idea_eligible"):
        return "IDEA"
    if facts.get("section_504"):
        return "Section 504 only"
    return "none"


def simulate(
    proposed: RuleSet,
    *,
    since: date | None = None,
    current: RuleSet | None = None,
    tz: ZoneInfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Compare `current` (the running rules) and `proposed` on every past rules decision.

    Only the latest rules decision of each student in each incident is replayed (a correction
    re-triages). `since` limits it to incidents on or after that day (in `tz`).
    """
    current = current or current_rules()
    report = SimulationReport(current.version, proposed.version, since)
    newer = aliased(TriageDecision)
    stmt = (
        sa.select(TriageDecision, Student.race_ethnicity)
        .join(Incident, Incident.id == TriageDecision.incident_id)
        .join(Student, Student.id == TriageDecision.student_id)
        .where(TriageDecision.kind == "rules")
        .where(~sa.exists().where(newer.replaces_id == TriageDecision.id, newer.kind == "rules"))
        .order_by(TriageDecision.id)
        .execution_options(yield_per=1000)
    )
    if since:
        stmt = stmt.where(
            Incident.occurred_at >= datetime.combine(since, time.min, tzinfo=tz or ZoneInfo("UTC"))
        )
    result = db.session.execute(stmt)
    try:
        for decision, race in result:
            _compare(report, decision, race, current, proposed)
            if progress:
                progress(1)
    finally:
        result.close()
    return report


def _compare(
    report: SimulationReport, decision: TriageDecision, race: str | None, current: RuleSet, proposed: RuleSet
) -> None:
    facts = _defaults(decision.facts)
    before, after = current.evaluate(facts), proposed.evaluate(facts)
    tier_changed = before.tier != after.tier
    added = set(after.routes) - set(before.routes)
    removed = set(before.routes) - set(after.routes)
    routes_changed = bool(added or removed)
    groups = {
        "race/ethnicity": RACE_ETHNICITY.get(race, "unknown"),
        "disability": _disability(facts),
        "English learner": "English learner" if facts.get("english_learner") else "not an English learner",
    }
    for stats in (report.total, *(report.groups[d][g] for d, g in groups.items())):
        stats.decisions += 1
        stats.tier_changed += tier_changed
        stats.tier_up += after.tier > before.tier
        stats.tier_down += after.tier < before.tier
        stats.routes_changed += routes_changed
    for route in added:
        report.route_added[route] += 1
    for route in removed:
        report.route_removed[route] += 1
    if tier_changed or routes_changed:
        report.changed_decisions += 1
        if len(report.examples) < EXAMPLES:
            report.examples.append(
                {
                    "incident_id": decision.incident_id,
                    "student_id": decision.student_id,
                    "before": (before.tier, list(before.routes)),
                    "after": (after.tier, list(after.routes)),
                }
            )


def route_label(route: str) -> str:
    return ROUTES.get(route, route)
