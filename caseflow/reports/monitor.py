"""The disparity monitor: for each group of students (race/ethnicity, disability, English
learners, sex: caseflow.reports.groups), the risk of each outcome in a school year and its
risk ratio against all other students (caseflow.reports.disparity), per school and for the
district, with alerts when a ratio is over the district's threshold. For students with
disabilities, also the five discipline categories of 34 CFR 300.647 by race/ethnicity, each
group against all other students with disabilities, with the State's minimum sizes
(caseflow.reports.idea_discipline).

Outcomes (students, not events): referred to law enforcement (approved and referred
escalations, emergency police responses, counting only the student reported for their own
conduct: caseflow.reports.referrals); suspended (an in-school or out-of-school suspension
recorded); a threat assessment opened; in Tier 3 now. The population of a school is every
student enrolled there on at least one day of the school year, whoever has left or moved since
(caseflow.reports.population), each with the outcomes that happened at that school; students
whose race/ethnicity is not recorded are part of every comparison group but form no group of
their own.

A fixed number of queries whatever the number of schools: one for the populations and the
students with each outcome, grouped by school and profile (race/ethnicity, sex, programs), and
one for the removals of students with disabilities.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from caseflow.discipline.models import SUSPENSIONS, DisciplineAction
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import School, Student
from caseflow.reports import idea_discipline, referrals
from caseflow.reports.disparity import Ratio, ratio
from caseflow.reports.groups import GROUPS, RACE_GROUPS, Profile, total
from caseflow.reports.periods import year_bounds, zone_of
from caseflow.reports.population import enrolled_during, in_year
from caseflow.reports.settings import OUTCOMES, settings
from caseflow.roster.models import PROGRAMS, Enrolment, ProgramParticipation
from caseflow.threats.models import ThreatAssessment

OUTCOME_LABELS = {
    "law_enforcement_referral": N_("Referred to law enforcement"),
    "suspension": N_("Suspended (in or out of school)"),
    "threat_assessment": N_("Threat assessment"),
    "tier_3": N_("In Tier 3 (intensive support)"),
}
LABELS = {
    **OUTCOME_LABELS,
    **idea_discipline.ALERT_LABELS,
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
            DisciplineAction.in_effect(),  # not one waiting for, or denied, a second administrator
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
    grouping: str
    key: str
    label: str
    n: int
    events: int
    ratio: Ratio

    @property
    def race(self) -> str | None:
        return self.key if self.grouping == "race_ethnicity" else None


@dataclass
class AreaMonitor:
    """One school (or the district): per outcome, a row per group of every grouping; per
    §300.647 discipline category, a row per race/ethnicity among students with disabilities."""

    name: str
    school_id: int | None
    population: int
    outcomes: dict  # outcome -> list[GroupRow]
    students_with_disabilities: int = 0
    idea_discipline: dict = field(default_factory=dict)  # category -> list[GroupRow]


@dataclass
class Alert:
    area: str
    outcome: str
    group: str
    value: float
    method: str
    outcome_label: str = ""


def _profile(race, sex, idea, section_504, english_learner) -> Profile:
    return Profile(race, sex, bool(idea), bool(section_504), bool(english_learner))


def _counts(schools: list[School], start_year: int):
    """Students enrolled in each school during the school year, and among them those with each
    outcome at that school in the year, by profile (race/ethnicity, sex, programs of the year):
    the numerator is always part of the denominator, and a student who moved counts at each
    school for what happened there. Then the §300.647 discipline categories by race."""
    ids = [s.id for s in schools]
    start, end = year_bounds(start_year, zone_of(schools))
    enrolled = enrolled_during(start.date(), end.date()).subquery()
    # One row per student enrolled at a school during the year, with a 1 for each program they
    # took part in on at least one day of it: the enrolments and the participations of the
    # year joined and grouped once, not a lookup per student and program.
    E, P = Enrolment, ProgramParticipation
    cohort = (
        sa.select(
            E.school_id.label("school_id"),
            E.student_id.label("student_id"),
            Student.race_ethnicity.label("race"),
            Student.sex.label("sex"),
            *(
                sa.func.max(sa.case((P.program == program, 1), else_=0)).label(program)
                for program in PROGRAMS
            ),
        )
        .join(Student, Student.id == E.student_id)
        .outerjoin(P, sa.and_(P.student_id == E.student_id, *in_year(P, start.date(), end.date())))
        .where(E.school_id.in_(ids), *in_year(E, start.date(), end.date()))
        .group_by(E.school_id, E.student_id, Student.race_ethnicity, Student.sex)
        .subquery("cohort")
    )
    profile = (cohort.c.race, cohort.c.sex, *(cohort.c[p] for p in PROGRAMS))
    # Each outcome's (school, student) pairs, once each, joined to the cohort: one row per
    # enrolled student, so counting the matches counts the students with the outcome.
    happened = {}
    for outcome in OUTCOMES:
        pairs = _outcome_events(outcome, start, end).subquery()
        happened[outcome] = (
            sa.select(pairs.c[0].label("school_id"), pairs.c[1].label("student_id"))
            .distinct()
            .subquery(outcome)
        )
    query = sa.select(
        cohort.c.school_id,
        *profile,
        sa.func.count(),
        *(sa.func.count(happened[outcome].c.student_id) for outcome in OUTCOMES),
    ).select_from(cohort)
    for outcome in OUTCOMES:
        query = query.outerjoin(
            happened[outcome],
            sa.and_(
                happened[outcome].c.student_id == cohort.c.student_id,
                happened[outcome].c.school_id == cohort.c.school_id,
            ),
        )
    population: Counter = Counter()
    events: dict[str, Counter] = {outcome: Counter() for outcome in OUTCOMES}
    for school_id, *values in db.session.execute(query.group_by(cohort.c.school_id, *profile)):
        key = (school_id, _profile(*values[: len(profile)]))
        population[key] += values[len(profile)]
        for outcome, n in zip(OUTCOMES, values[len(profile) + 1 :], strict=True):
            if n:
                events[outcome][key] += n
    categories = {
        category: Counter({(sid, _disabled(race)): n for (sid, race), n in counter.items()})
        for category, counter in idea_discipline.category_counts(enrolled, ids, start, end).items()
    }
    return population, events, categories


def _rows(groups, population, events, alternate_of, *, min_cell, min_n) -> list[GroupRow]:
    """A row per group: `population`/`events` are {key: n} for this area; `wider` the same
    pair for the area around it (None for the district); `alternate_of()` the wider risk of
    the students outside the group, or None."""
    total_n, total_events = sum(population.values()), sum(events.values())
    rows = []
    for group in groups:
        g_n, g_ev = total(population, group), total(events, group)
        rows.append(
            GroupRow(
                group.grouping,
                group.key,
                group.label,
                g_n,
                g_ev,
                ratio(
                    g_ev,
                    g_n,
                    total_events - g_ev,
                    total_n - g_n,
                    min_cell=min_cell,
                    min_n=min_n,
                    alternate_risk=alternate_of(group),
                ),
            )
        )
    return rows


def _wider_risk(wider, min_cell, min_n, groups):
    """The risk of the wider area's students outside each group, when they reach the minimum
    sizes (the alternate risk ratio's comparison), or None: {group key: risk}, computed once
    for every area that compares with the same wider area."""
    w_pop, w_events = wider
    all_n, all_events = sum(w_pop.values()), sum(w_events.values())
    risks = {}
    for group in groups:
        w_n = all_n - total(w_pop, group)
        w_ev = all_events - total(w_events, group)
        risks[group.key] = w_ev / w_n if w_n >= min_n and w_ev >= min_cell else None
    return risks


def _alternates(wider, state: dict) -> dict:
    """{outcome or category: function(group) -> the alternate comparison risk}: against the
    district's (`wider`) students outside the group for a school; for the district itself
    (`wider` None), the State's configured risk of the outcome, and none for the categories."""
    cfg = settings()
    out = {}
    if wider is None:
        for outcome in OUTCOMES:
            out[outcome] = _fixed_risk(state.get(outcome, {}).get("risk"))
        for category in idea_discipline.CATEGORIES:  # no State figures for these
            out[category] = _fixed_risk(None)
        return out
    for outcome in OUTCOMES:
        risks = _wider_risk((wider[0], wider[1][outcome]), cfg.min_cell, cfg.min_n, GROUPS)
        out[outcome] = lambda group, risks=risks: risks[group.key]
    w_disabled = _students_with_disabilities(wider[0])
    for category in idea_discipline.CATEGORIES:
        risks = _wider_risk((w_disabled, wider[2][category]), cfg.idea_min_cell, cfg.idea_min_n, RACE_GROUPS)
        out[category] = lambda group, risks=risks: risks[group.key]
    return out


def _fixed_risk(value: float | None):
    """The same alternate comparison for every group: the State's configured risk, or none."""
    return lambda _group: value


def _area(name, school_id, counts, alternates: dict) -> AreaMonitor:
    """`counts` = (population, events, categories) of this area: population and events keyed
    by Profile, categories by race; `alternates` the alternate comparison of each outcome and
    category (`_alternates`: the district for a school, the State for the district)."""
    cfg = settings()
    population, events, categories = counts
    outcomes = {}
    for outcome in OUTCOMES:
        outcomes[outcome] = _rows(
            GROUPS, population, events[outcome], alternates[outcome], min_cell=cfg.min_cell, min_n=cfg.min_n
        )
    disabled = _students_with_disabilities(population)
    idea_rows = {}
    for category in idea_discipline.CATEGORIES:
        idea_rows[category] = _rows(
            RACE_GROUPS,
            disabled,
            categories[category],
            alternates[category],
            min_cell=cfg.idea_min_cell,
            min_n=cfg.idea_min_n,
        )
    return AreaMonitor(name, school_id, sum(population.values()), outcomes, sum(disabled.values()), idea_rows)


def _disabled(race: str | None) -> Profile:
    """The profile the §300.647 categories count a student with disabilities by: their race."""
    return Profile(race, None, True, False, False)


def _students_with_disabilities(population: Counter) -> Counter:
    """{Profile: n} -> the students in IDEA during the year, by race only."""
    out: Counter = Counter()
    for profile, n in population.items():
        if profile.idea:
            out[_disabled(profile.race)] += n
    return out


def _of(counter: Counter, school_id) -> Counter:
    """The part of a {(school_id, key): n} counter for one school (all schools when None)."""
    out: Counter = Counter()
    for (sid, key), n in counter.items():
        if school_id is None or sid == school_id:
            out[key] += n
    return out


def _area_counts(population, events, categories, school_id):
    return (
        _of(population, school_id),
        {o: _of(events[o], school_id) for o in OUTCOMES},
        {c: _of(categories[c], school_id) for c in idea_discipline.CATEGORIES},
    )


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
    population, events, categories = _counts(district_schools, start_year)
    district_counts = _area_counts(population, events, categories, None)
    state = settings().state_comparison
    against_district = _alternates(district_counts, state)
    per_school = [
        _area(
            school.name,
            school.id,
            _area_counts(population, events, categories, school.id),
            against_district,
        )
        for school in schools
    ]
    district = (
        _area(district_name, None, district_counts, _alternates(None, state)) if district_name else None
    )
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
        for outcome, rows in tables(area):
            for row in rows:
                if row.ratio.over(threshold):
                    out.append(
                        Alert(
                            area.name, outcome, row.label, row.ratio.value, row.ratio.method, LABELS[outcome]
                        )
                    )
    return out


def tables(area: AreaMonitor):
    """(outcome or category, rows) of an area: the four outcomes, then the five categories."""
    yield from area.outcomes.items()
    yield from area.idea_discipline.items()
