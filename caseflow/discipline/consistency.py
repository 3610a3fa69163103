"""The consistency check: what the district decided for comparable incidents, shown to the
administrator choosing a consequence, and the written reason a harsher choice needs.

Comparable decisions are the district's disciplinary actions that took effect (an exclusion
still waiting for, or denied, a second administrator does not count), dated in the school
year of the new decision or the one before it (the last two school years), and:

- the same behavior: the past incident's first-listed behavior (position 0, the one the reporter
  named first) is the new incident's first-listed behavior;
- the same grade band: PK-2, 3-5, 6-8, 9-12. The past student's grade then is their grade now
  less the school years since (a student in 7 now was in 6 last year); no grade: no band, never
  comparable;
- a similar history: the student's earlier incidents as a responsible student in the 365 days
  before the incident, in buckets "none" (0), "some" (1-2) and "many" (3 or more).

Imported actions count (they are the district's decisions too) when they belong to an incident.

The spread counts the comparable decisions by consequence. Counts of 1 to suppress_below-1 (the
civil-rights report's minimum cell, workflows/reports.yaml) are hidden, and when that hides one
cell of the spread, the next smallest too (reports.crdc.suppress_row). With fewer comparable
decisions than suppress_below in all, nothing is shown and no reason is asked.

Severity orders the consequences: no action 0; community service and other 1; removal from
classroom 2; in-school suspension 3; out-of-school suspension 4; expulsion with services 5;
expulsion 6 (the Gun-Free Schools Act variants as their kind); within one consequence, more
school days is harsher. A choice is harsher than three quarters of comparable decisions when
its severity is above their 75th percentile, taken by nearest rank: sort the n severities, the
percentile is the ceil(0.75 * n)-th. Such a choice needs a written reason (harsher_reason), and
the escalation audit lists it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from caseflow.discipline.models import DISCIPLINE_ACTIONS, DisciplineAction
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
from caseflow.labels import N_, Message
from caseflow.people.codes import GRADES
from caseflow.people.models import Student
from caseflow.reports.crdc import suppress_row
from caseflow.reports.periods import SCHOOL_YEAR_START_MONTH, school_year_of

GRADE_BANDS = {"PK": "PK-2", "K": "PK-2", "1": "PK-2", "2": "PK-2", "3": "3-5", "4": "3-5", "5": "3-5"}
GRADE_BANDS |= {g: "6-8" for g in ("6", "7", "8")} | {g: "9-12" for g in ("9", "10", "11", "12")}
HISTORY_DAYS = 365
SEVERITY = {
    "No action for incident": 0,
    "Community Service": 1,
    "Other": 1,
    "Removal from Classroom": 2,
    "In School Suspension": 3,
    "Out of School Suspension": 4,
    "Expulsion with Services": 5,
    "Expulsion under Guns Free School Act with Services": 5,
    "Expulsion": 6,
    "Expulsion under Guns Free School Act": 6,
}


def severity(action_code: str, length_days) -> tuple[int, Decimal]:
    return SEVERITY[action_code], Decimal(str(length_days or 0))


def history_bucket(earlier_incidents: int) -> str:
    return "none" if earlier_incidents == 0 else "some" if earlier_incidents <= 2 else "many"


def grade_then(grade_now: str | None, years_ago: int) -> str | None:
    if grade_now not in GRADES:
        return None
    i = GRADES.index(grade_now) - years_ago
    return GRADES[i] if i >= 0 else None


def percentile_75(values: list) -> object:
    """Nearest rank: the ceil(0.75 n)-th of the sorted values."""
    ordered = sorted(values)
    return ordered[math.ceil(0.75 * len(ordered)) - 1]


@dataclass(frozen=True)
class Cell:
    action_code: str
    label: str
    count: int | None  # None: hidden (a small cell)


@dataclass(frozen=True)
class Spread:
    behavior: str | None
    grade_band: str | None
    history: str
    total: int
    shown: bool  # enough comparable decisions to show the spread (and ask for reasons)
    cells: tuple[Cell, ...]
    p75: tuple[int, Decimal] | None

    def harsher(self, action_code: str, length_days) -> bool:
        """The choice is above the 75th percentile of comparable decisions (shown spreads only)."""
        return self.shown and action_code in SEVERITY and severity(action_code, length_days) > self.p75

    @property
    def p75_label(self) -> str:
        if self.p75 is None:
            return ""
        code = next(c for c, r in SEVERITY.items() if r == self.p75[0])
        if not self.p75[1]:
            return DISCIPLINE_ACTIONS[code]
        return Message(
            N_("%(action)s, %(days)s school days"),
            action=DISCIPLINE_ACTIONS[code],
            days=f"{self.p75[1].normalize():f}",
        )


def primary_behavior(incident: Incident) -> str | None:
    ordered = sorted(incident.behaviors, key=lambda b: (b.position, b.behavior_code))
    return ordered[0].behavior_code if ordered else None


def _earlier_incidents(pairs: set[tuple[int, object]]) -> dict[tuple[int, object], int]:
    """For each (student, moment): incidents before it, within HISTORY_DAYS, as responsible."""
    if not pairs:
        return {}
    students = {s for s, _ in pairs}
    first = min(at for _, at in pairs) - timedelta(days=HISTORY_DAYS)
    rows = db.session.execute(
        sa.select(IncidentStudent.student_id, Incident.occurred_at)
        .join(Incident, Incident.id == IncidentStudent.incident_id)
        .where(
            IncidentStudent.student_id.in_(students),
            IncidentStudent.role == "responsible",
            Incident.occurred_at >= first,
        )
    ).all()
    return {
        (s, at): sum(1 for sid, when in rows if sid == s and at - timedelta(days=HISTORY_DAYS) <= when < at)
        for s, at in pairs
    }


def spread_for(incident: Incident, student: Student, day: date, *, below: int | None = None) -> Spread:
    """What the district decided for incidents comparable to `incident` for `student`, for a
    decision on `day`. Four queries whatever the data size."""
    from caseflow.reports.settings import settings

    below = below or settings().suppress_below
    behavior = primary_behavior(incident)
    band = GRADE_BANDS.get(student.grade or "")
    history = history_bucket(
        _earlier_incidents({(student.id, incident.occurred_at)})[(student.id, incident.occurred_at)]
    )
    year = school_year_of(day)
    since = date(year - 1, SCHOOL_YEAR_START_MONTH, 1)
    decisions = []
    if behavior and band:
        first_behavior = (
            sa.select(IncidentBehavior.behavior_code)
            .where(IncidentBehavior.incident_id == Incident.id)
            .order_by(IncidentBehavior.position, IncidentBehavior.behavior_code)
            .limit(1)
            .correlate(Incident)
            .scalar_subquery()
        )
        rows = db.session.execute(
            sa.select(
                DisciplineAction.action_code,
                DisciplineAction.length_days,
                DisciplineAction.action_date,
                DisciplineAction.student_id,
                Incident.occurred_at,
                Student.grade,
            )
            .join(Incident, Incident.id == DisciplineAction.incident_id)
            .join(Student, Student.id == DisciplineAction.student_id)
            .where(
                DisciplineAction.district_id == incident.district_id,
                DisciplineAction.incident_id != incident.id,
                DisciplineAction.in_effect(),
                DisciplineAction.action_date >= since,
                DisciplineAction.action_date <= day,
                first_behavior == behavior,
            )
        ).all()
        rows = [
            r
            for r in rows
            if GRADE_BANDS.get(grade_then(r.grade, year - school_year_of(r.action_date)) or "") == band
        ]
        earlier = _earlier_incidents({(r.student_id, r.occurred_at) for r in rows})
        decisions = [r for r in rows if history_bucket(earlier[(r.student_id, r.occurred_at)]) == history]
    total = len(decisions)
    shown = total >= below
    codes = sorted({r.action_code for r in decisions}, key=lambda c: (SEVERITY[c], c))
    counts = [sum(1 for r in decisions if r.action_code == c) for c in codes]
    visible = suppress_row(counts, below) if shown else [None] * len(counts)
    cells = tuple(Cell(c, DISCIPLINE_ACTIONS[c], n) for c, n in zip(codes, visible, strict=True))
    p75 = percentile_75([severity(r.action_code, r.length_days) for r in decisions]) if shown else None
    return Spread(behavior, band, history, total, shown, cells if shown else (), p75)
