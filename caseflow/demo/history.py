"""The demo district's past: incidents of the school year so far (from mid-August to the day
before the demo is made; in the summer, the whole past school year), already dealt with, and
the suspensions some of them led to, so that the dashboards, the civil-rights report and the
disparity monitor have something to show.

Everything is fictional and drawn from the generator's seeded random numbers: the same seed
on the same day gives the same history. Incidents happen on the district's school days
(workflows/calendar.yaml: weekdays minus its holidays) during school hours, in each school's
time zone. They are stored as resolved history: each is triaged by the real triage service
(the rules as they stand), in the order they happened, so the rule simulation has decisions
to replay, but they open no case and notify no one (the open work of today is
caseflow.demo.casework).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from caseflow.discipline.models import DisciplineAction
from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.reports.periods import school_year_of
from caseflow.schooldays import school_calendar

FIRST_SCHOOL_DAY = (8, 17)  # month, day
LAST_SCHOOL_DAY = (6, 10)
INCIDENTS_PER_STUDENT = 0.4
BEHAVIORS = {  # how often each is reported: mostly classroom-managed
    "disruption": 22,
    "defiance": 16,
    "disrespect": 12,
    "inappropriate_language": 10,
    "technology_misuse": 8,
    "tardy": 6,
    "minor_physical_contact": 6,
    "physical_aggression": 5,
    "skipping_class": 4,
    "abusive_language": 3,
    "fighting": 3,
    "bullying": 2,
    "harassment": 1,
    "theft": 1,
    "vandalism": 1,
}
LOCATIONS = {
    "Classroom": 55,
    "Hallway or stairs": 14,
    "Cafeteria area": 10,
    "Athletic field or playground": 8,
    "Restroom": 4,
    "Locker room or gym areas": 3,
    "School bus": 3,
    "Library/media center": 2,
    "Parking lot": 1,
}
HOURS = {8: 10, 9: 14, 10: 16, 11: 14, 12: 16, 13: 14, 14: 10, 15: 6}
DESCRIPTIONS = {
    "minor": "Reminded twice during the lesson; the student kept on. Talked with the student after class.",
    "major": "Sent to the office after the incident; the administrator spoke with the students involved.",
}
SUSPENSION_SHARE = 0.25  # of incidents with a major behavior


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def history_span(today: date) -> tuple[date, date]:
    """The school days the history covers: this school year up to yesterday, or the whole
    last school year when this one has not started."""
    year = school_year_of(today)
    first = date(year, *FIRST_SCHOOL_DAY)
    last = min(today - timedelta(days=1), date(year + 1, *LAST_SCHOOL_DAY))
    if last < first:
        first, last = date(year - 1, *FIRST_SCHOOL_DAY), date(year, *LAST_SCHOOL_DAY)
    return first, last


def school_days(first: date, last: date) -> list[date]:
    """The district's school days from `first` to `last` (both included)."""
    calendar = school_calendar()
    day, out = first, []
    while day <= last:
        if calendar.is_school_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def build_history(
    rng: random.Random, today: date, district, schools, students_by_school, reporters_by_school, principals
):
    """The incidents and disciplinary actions (unsaved objects) for the demo district."""
    taxonomy = get_taxonomy()
    days = school_days(*history_span(today))
    incidents, actions = [], []
    for school in schools:
        students = students_by_school.get(school.id, [])
        reporters = reporters_by_school.get(school.id, [])
        if not students or not reporters:
            continue
        zone = ZoneInfo(school.time_zone)
        # A few students account for many incidents, as in every school.
        weights = [rng.paretovariate(1.6) for _ in students]
        for _ in range(int(len(students) * INCIDENTS_PER_STUDENT)):
            behavior = _weighted(rng, BEHAVIORS)
            level = taxonomy.behavior(behavior).level
            when = datetime.combine(rng.choice(days), time(_weighted(rng, HOURS), rng.randrange(60)), zone)
            student = rng.choices(students, weights=weights)[0]
            incident = Incident(
                district_id=district.id,
                school_id=school.id,
                occurred_at=when,
                location_code=_weighted(rng, LOCATIONS),
                description=DESCRIPTIONS[level],
                injury="none",
                threat_made=False,
                status="resolved",
                reported_by_id=rng.choice(reporters).id,
                reported_at=when + timedelta(minutes=rng.randrange(5, 90)),
                updated_at=when + timedelta(minutes=rng.randrange(5, 90)),
                taxonomy_version=taxonomy.version,
            )
            incident.behaviors = [IncidentBehavior(behavior_code=behavior, position=0)]
            incident.students = [IncidentStudent(student=student, role="responsible")]
            incidents.append(incident)
            if level == "major" and rng.random() < SUSPENSION_SHARE:
                actions.append(
                    DisciplineAction(
                        district_id=district.id,
                        school_id=school.id,
                        student=student,
                        incident=incident,
                        action_code=rng.choice(("In School Suspension", "Out of School Suspension")),
                        action_date=school_calendar().next_school_day(when.date()),
                        length_days=rng.choice((1, 1, 2, 3)),
                        recorded_by_id=principals[school.id].id,
                        recorded_at=when + timedelta(days=1),
                        historical=True,  # the district's past, from before the exclusion gate
                    )
                )
    return incidents, actions


def triage_history(incidents) -> int:
    """Triage each past incident with the real triage service, at the time it was reported and
    in the order they happened (so each counts the incidents before it). The decisions are
    history: the incidents stay resolved and open no case. Returns the number of decisions."""
    from caseflow.triage.services import route_incident

    decided = 0
    for incident in sorted(incidents, key=lambda i: (i.reported_at, i.occurred_at)):
        decided += len(route_incident(incident, now=incident.reported_at))
    return decided
