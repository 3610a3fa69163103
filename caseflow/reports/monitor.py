"""The disparity monitor: for each race/ethnicity group, the risk of each outcome in a school
year and its risk ratio against all other students (caseflow.reports.disparity), per school
and for the district, with alerts when a ratio is over the district's threshold.

Outcomes (students, not events): referred to law enforcement (approved and referred
escalations, emergency police responses, counting only the student reported for their own
conduct: caseflow.reports.referrals); suspended (an in-school or out-of-school suspension
recorded); a threat assessment opened; in Tier 3 now. The population of a school is every
student enrolled there on at least one day of the school year, whoever has left or moved since
(caseflow.reports.population), each with the outcomes that happened at that school; students
whose race/ethnicity is not recorded are part of every comparison group but form no group of
their own.

A fixed number of queries whatever the number of schools: one for the populations and one per
outcome, each grouped by school and race/ethnicity.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from caseflow.discipline.models import SUSPENSIONS, DisciplineAction
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.codes import RACE_ETHNICITY
from caseflow.people.models import School, Student
from caseflow.reports import referrals
from caseflow.reports.disparity import Ratio, ratio
from caseflow.reports.periods import year_bounds, zone_of
from caseflow.reports.population import enrolled_during
from caseflow.reports.settings import OUTCOMES, settings
from caseflow.threats.models import ThreatAssessment

OUTCOME_LABELS = {
    "law_enforcement_referral": N_("Referred to law enforcement"),
    "suspension": N_("Suspended (in or out of school)"),
    "threat_assessment": N_("Threat assessment"),
    "tier_3": N_("In Tier 3 (intensive support)"),
}


def _outcome_events(outcome: str, start: datetime, end: datetime) -> sa.Select:
    """SELECT (school_id, student_id) of the outcome's events in [start, end), with the school
    where each happened."""
    if outcome == "law_enforcement_referral":  # the students reported for their own conduct
        happened = referrals.events(start, end)
        return sa.select(happened.c.school_id, happened.c.student_id)
    if outcome == "suspension":
        return sa.select(DisciplineAction.school_id, DisciplineAction.student_id).where(
            DisciplineAction.action_code.in_(SUSPENSIONS),
            DisciplineAction.action_date >= start.date(),
            DisciplineAction.action_date < end.date(),
        )
    if outcome == "threat_assessment":
        return sa.select(ThreatAssessment.school_id, ThreatAssessment.student_id).where(
            ThreatAssessment.routed_at >= start, ThreatAssessment.routed_at < end
        )
    if outcome == "tier_3":
        return sa.select(Student.school_id, Student.id).where(Student.mtss_tier == 3)
    raise ValueError(outcome)


@dataclass
class GroupRow:
    race: str
    label: str
    n: int
    events: int
    ratio: Ratio


@dataclass
class AreaMonitor:
    """One school (or the district): per outcome, a row per group."""

    name: str
    school_id: int | None
    population: int
    outcomes: dict  # outcome -> list[GroupRow]


@dataclass
class Alert:
    area: str
    outcome: str
    group: str
    value: float
    method: str


def _counts(schools: list[School], start_year: int):
    """Students enrolled in each school during the school year, and among them those with each
    outcome at that school in the year, by race/ethnicity: the numerator is always part of the
    denominator, and a student who moved counts at each school for what happened there."""
    ids = [s.id for s in schools]
    start, end = year_bounds(start_year, zone_of(schools))
    enrolled = enrolled_during(start.date(), end.date()).subquery()
    population: Counter = Counter()
    for school_id, race, n in db.session.execute(
        sa.select(enrolled.c.school_id, Student.race_ethnicity, sa.func.count())
        .join(Student, Student.id == enrolled.c.student_id)
        .where(enrolled.c.school_id.in_(ids))
        .group_by(enrolled.c.school_id, Student.race_ethnicity)
    ):
        population[(school_id, race)] += n
    events: dict[str, Counter] = {}
    for outcome in OUTCOMES:
        happened = _outcome_events(outcome, start, end).subquery()
        events[outcome] = Counter()
        for school_id, race, n in db.session.execute(
            sa.select(enrolled.c.school_id, Student.race_ethnicity, sa.func.count(sa.distinct(Student.id)))
            .join(Student, Student.id == enrolled.c.student_id)
            .join(
                happened,
                sa.and_(happened.c[1] == enrolled.c.student_id, happened.c[0] == enrolled.c.school_id),
            )
            .where(enrolled.c.school_id.in_(ids))
            .group_by(enrolled.c.school_id, Student.race_ethnicity)
        ):
            events[outcome][(school_id, race)] += n
    return population, events


def _area(
    name, school_id, population: Counter, events: dict, wider: tuple | None, state: dict
) -> AreaMonitor:
    """`population`/`events` keyed by race for this area; `wider` the same for the area around
    it (the district), used for the alternate risk ratio; `state` the configured State risks."""
    cfg = settings()
    total_n = sum(population.values())
    outcomes = {}
    for outcome in OUTCOMES:
        per_race = events[outcome]
        total_events = sum(per_race.values())
        rows = []
        for race, label in RACE_ETHNICITY.items():
            g_ev, g_n = per_race.get(race, 0), population.get(race, 0)
            if wider is not None:  # a school: the students of the district outside the group
                w_pop, w_events = wider
                w_ev = sum(w_events[outcome].values()) - w_events[outcome].get(race, 0)
                w_n = sum(w_pop.values()) - w_pop.get(race, 0)
                alternate = w_ev / w_n if w_n >= cfg.min_n and w_ev >= cfg.min_cell else None
            else:  # the district: the State's figure, if configured
                alternate = state.get(outcome, {}).get("risk")
            rows.append(
                GroupRow(
                    race,
                    label,
                    g_n,
                    g_ev,
                    ratio(
                        g_ev,
                        g_n,
                        total_events - g_ev,
                        total_n - g_n,
                        min_cell=cfg.min_cell,
                        min_n=cfg.min_n,
                        alternate_risk=alternate,
                    ),
                )
            )
        outcomes[outcome] = rows
    return AreaMonitor(name, school_id, total_n, outcomes)


def disparity_monitor(schools: list[School], start_year: int, *, district_name: str | None = None):
    """(the district's monitor or None, one monitor per school of `schools`). The district
    row is drawn when `district_name` is given (the user sees the whole district)."""
    if not schools:
        return None, []
    # Aggregate counts of the whole district: a school's alternate ratio compares it with the
    # district, whichever schools the reader serves (no student record leaves the query).
    district_schools = db.session.scalars(
        sa.select(School).where(School.district_id == schools[0].district_id)
    ).all()
    population, events = _counts(district_schools, start_year)
    d_pop: Counter = Counter()
    d_events = {o: Counter() for o in OUTCOMES}
    for (_, race), n in population.items():
        d_pop[race] += n
    for outcome in OUTCOMES:
        for (_, race), n in events[outcome].items():
            d_events[outcome][race] += n
    state = settings().state_comparison
    per_school = []
    for school in schools:
        s_pop = Counter({race: n for (sid, race), n in population.items() if sid == school.id})
        s_events = {
            o: Counter({race: n for (sid, race), n in events[o].items() if sid == school.id})
            for o in OUTCOMES
        }
        per_school.append(_area(school.name, school.id, s_pop, s_events, (d_pop, d_events), state))
    district = _area(district_name, None, d_pop, d_events, None, state) if district_name else None
    return district, per_school


def monitor_for(user, schools: list[School], start_year: int) -> list[AreaMonitor]:
    """What `user` sees: the district first when they serve the whole district, then each of
    `schools`."""
    from caseflow.people.models import District

    name = db.session.get(District, user.district_id).name if user.district_wide else None
    district, per_school = disparity_monitor(schools, start_year, district_name=name)
    return ([district] if district else []) + per_school


def alerts(monitors: list[AreaMonitor]) -> list[Alert]:
    """Every ratio strictly over the district's threshold (a ratio equal to it raises none)."""
    threshold = settings().alert_ratio
    out = []
    for area in monitors:
        for outcome, rows in area.outcomes.items():
            for row in rows:
                if row.ratio.over(threshold):
                    out.append(Alert(area.name, outcome, row.label, row.ratio.value, row.ratio.method))
    return out
