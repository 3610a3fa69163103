"""A school dashboard: incidents by behavior, location, hour, weekday and month; the tier
distribution; the routes taken (cases opened by kind); caseloads against the recommended
ratios; escalations over time. For one school or all the schools a person serves, for a
school year.

Every figure is a grouped query, so the page costs the same number of queries whatever the
number of incidents. Hours, weekdays and months are those of each school's own time zone:
PostgreSQL converts in SQL; SQLite (small, single-school installations) converts the
timestamps in Python.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.auth.models import User, UserRole, user_schools
from caseflow.cases.models import CASE_KINDS, Case
from caseflow.escalations.models import ESCALATION_STATUSES, EmergencyResponse, Escalation
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentBehavior
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, translated
from caseflow.people.models import School, Student
from caseflow.reports.periods import SCHOOL_YEAR_START_MONTH, year_bounds, zone_of
from caseflow.reports.settings import settings

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MONTHS = (
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
)
CASE_KIND_LABELS = {
    "counselor": N_("Counselor"),
    "social_worker": N_("Social worker"),
    "psychologist": N_("Psychologist"),
    "restorative_adviser": N_("Restorative"),
    "threat_team": N_("Threat assessment"),
    "administrator": N_("Administrator"),
}
OPEN_CASE = ("new", "assigned", "active", "monitoring")


@dataclass
class Series:
    """One chart's data: labels and values, shown as a chart and as a table."""

    key: str
    title: str
    labels: list[str]
    values: list[int]
    columns: tuple[str, str] = ("", "Incidents")
    counted: str = ""  # what one unit of the chart is, in words, shown under its title
    horizontal: bool = False  # long labels (behaviors, places) read along bars drawn sideways

    @property
    def rows(self):
        return list(zip(self.labels, self.values, strict=True))

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "labels": self.labels,
            "values": self.values,
            "category_title": self.columns[0],
            "value_title": self.columns[1],
            "counted": self.counted,
            "horizontal": self.horizontal,
        }


@dataclass
class Staffing:
    role: str
    label: str
    staff: int
    students: int
    recommended: int
    open_cases: int

    @property
    def students_per_staff(self) -> float | None:
        return self.students / self.staff if self.staff else None

    @property
    def meets(self) -> bool:
        return self.staff > 0 and self.students / self.staff <= self.recommended


@dataclass
class Dashboard:
    incidents: int
    charts: list[Series]
    staffing: list[Staffing]
    escalations_by_month: dict = field(default_factory=dict)  # status -> 12 values


def _local_parts(schools: list[School], start, end) -> Counter:
    """(month index 0-11 from August, weekday 0-6, hour) -> incidents, in each school's zone."""
    ids = [s.id for s in schools] or [-1]
    in_scope = sa.and_(Incident.school_id.in_(ids), Incident.occurred_at >= start, Incident.occurred_at < end)
    parts: Counter = Counter()
    if db.session.get_bind().dialect.name == "postgresql":
        for at, n in db.session.execute(_local_hours_sql(schools, start, end)):
            parts[((at.month - SCHOOL_YEAR_START_MONTH) % 12, at.weekday(), at.hour)] += n
        return parts
    zones: dict[str, ZoneInfo] = {}
    for occurred, tz in db.session.execute(
        sa.select(Incident.occurred_at, School.time_zone)
        .join(School, School.id == Incident.school_id)
        .where(in_scope)
    ):
        zone = zones.setdefault(tz, ZoneInfo(tz))
        local = occurred.replace(tzinfo=occurred.tzinfo or UTC).astimezone(zone)
        parts[((local.month - SCHOOL_YEAR_START_MONTH) % 12, local.weekday(), local.hour)] += 1
    return parts


def _local_hours_sql(schools: list[School], start, end) -> sa.Select:
    """PostgreSQL: (local hour, incidents) of the schools, as one statement.

    Converting every incident to its school's zone is what costs (about a microsecond each, a
    third of a million a year in a large district). So each time zone's incidents are first
    counted by UTC bins from the index alone, with no function of the zone, and only the bins
    (a few thousand a year) are converted. A bin is an hour, or the greatest common divisor of
    the zones' UTC offsets when one is not whole hours (30 or 15 minutes), so that every bin
    lies within one local hour."""
    by_zone: dict[str, list[int]] = {}
    for school in schools:
        by_zone.setdefault(school.time_zone, []).append(school.id)
    if not by_zone:
        by_zone = {"UTC": [-1]}
    seconds = _bin_seconds(by_zone, start, end)
    utc_bin = sa.func.date_bin(
        sa.literal_column(f"INTERVAL '{seconds} seconds'"),
        Incident.occurred_at,
        sa.literal_column("TIMESTAMPTZ '2000-01-01 00:00:00+00'"),
    )
    bins = [
        sa.select(sa.literal(zone).label("zone"), utc_bin.label("at"), sa.func.count().label("n"))
        .where(Incident.school_id.in_(ids), Incident.occurred_at >= start, Incident.occurred_at < end)
        .group_by(utc_bin)
        for zone, ids in by_zone.items()
    ]
    counted = (sa.union_all(*bins) if len(bins) > 1 else bins[0]).subquery()
    local_hour = sa.func.date_trunc("hour", sa.func.timezone(counted.c.zone, counted.c.at))
    return sa.select(local_hour, sa.cast(sa.func.sum(counted.c.n), sa.BigInteger)).group_by(local_hour)


def _bin_seconds(zones, start, end) -> int:
    """The widest bin of UTC time, an hour at most, that lies within one local hour in each of
    `zones` from `start` to `end`: the greatest common divisor of an hour and the zones' UTC
    offsets over the period (read once a day, as offsets last months)."""
    width = 3600
    for name in zones:
        zone, at = ZoneInfo(name), start
        while at < end:
            width = math.gcd(width, int(at.astimezone(zone).utcoffset().total_seconds()))
            at += timedelta(days=1)
    return width


def _by_location(school_ids, start, end) -> Counter:
    """Location -> incidents (on PostgreSQL from ix_incidents_school_occurred alone)."""
    stmt = (
        sa.select(Incident.location_code, sa.func.count())
        .where(Incident.school_id.in_(school_ids), Incident.occurred_at >= start, Incident.occurred_at < end)
        .group_by(Incident.location_code)
    )
    return Counter(dict(db.session.execute(stmt).all()))


def _by_behavior(school_ids, start, end) -> Counter:
    """Behavior -> incidents, an incident counting once per behavior ((incident_id,
    behavior_code) is the key). Each behavior row carries its incident's school and time (kept
    equal by the database), so the count reads ix_incident_behaviors_school_occurred_behavior
    alone, never the incidents."""
    stmt = (
        sa.select(IncidentBehavior.behavior_code, sa.func.count())
        .where(
            IncidentBehavior.school_id.in_(school_ids),
            IncidentBehavior.occurred_at >= start,
            IncidentBehavior.occurred_at < end,
        )
        .group_by(IncidentBehavior.behavior_code)
    )
    return Counter(dict(db.session.execute(stmt).all()))


def school_dashboard(schools: list[School], start_year: int) -> Dashboard:
    """The dashboard of `schools` for the school year beginning in `start_year`."""
    ids = [s.id for s in schools] or [-1]
    tz = zone_of(schools)
    start, end = year_bounds(start_year, tz)
    taxonomy = get_taxonomy()
    by_behavior = _by_behavior(ids, start, end)
    by_location = _by_location(ids, start, end)
    parts = _local_parts(schools, start, end)
    months, weekdays, hours = Counter(), Counter(), Counter()
    for (m, d, h), n in parts.items():
        months[m] += n
        weekdays[d] += n
        hours[h] += n
    behaviors = sorted(by_behavior.items(), key=lambda kv: (-kv[1], kv[0]))
    locations = sorted(by_location.items(), key=lambda kv: (-kv[1], kv[0]))
    location_labels = {code: c.label for code, c in taxonomy.locations.items()}
    first_hour = min([h for h in hours if hours[h]] or [7])
    last_hour = max([h for h in hours if hours[h]] or [16])
    hour_range = range(min(first_hour, 7), max(last_hour, 16) + 1)

    tiers = Counter(
        dict(
            db.session.execute(
                sa.select(Student.mtss_tier, sa.func.count())
                .where(Student.school_id.in_(ids), Student.active.is_(True))
                .group_by(Student.mtss_tier)
            ).all()
        )
    )
    routes = Counter(
        dict(
            db.session.execute(
                sa.select(Case.kind, sa.func.count())
                .where(Case.school_id.in_(ids), Case.opened_at >= start, Case.opened_at < end)
                .group_by(Case.kind)
            ).all()
        )
    )
    charts = [
        Series(
            "behavior",
            gettext("Incidents by behavior"),
            [translated(taxonomy.behavior(c).label) if c in taxonomy.behaviors else c for c, _ in behaviors],
            [n for _, n in behaviors],
            (gettext("Behavior"), gettext("Incidents")),
            gettext("An incident counts once for each behavior recorded on it."),
            horizontal=True,
        ),
        Series(
            "location",
            gettext("Incidents by location"),
            [translated(location_labels.get(c, c)) for c, _ in locations],
            [n for _, n in locations],
            (gettext("Location"), gettext("Incidents")),
            gettext("Each incident counts once, at the place where it happened."),
            horizontal=True,
        ),
        Series(
            "hour",
            gettext("Incidents by hour"),
            [f"{h:02d}:00" for h in hour_range],
            [hours[h] for h in hour_range],
            (gettext("Hour of the day"), gettext("Incidents")),
            gettext("Each incident counts once, at the hour it happened in the school's time."),
        ),
        Series(
            "weekday",
            gettext("Incidents by weekday"),
            [translated(d) for d in WEEKDAYS],
            [weekdays[d] for d in range(7)],
            (gettext("Weekday"), gettext("Incidents")),
            gettext("Each incident counts once, on the weekday it happened in the school's time."),
        ),
        Series(
            "month",
            gettext("Incidents per month"),
            [translated(m) for m in MONTHS],
            [months[m] for m in range(12)],
            (gettext("Month"), gettext("Incidents")),
            gettext("Each incident counts once, in the month it happened, August to July."),
        ),
        Series(
            "tier",
            gettext("Students by MTSS tier"),
            [gettext("Tier %(tier)s", tier=t) for t in (1, 2, 3)],
            [tiers[t] for t in (1, 2, 3)],
            (gettext("MTSS tier"), gettext("Students")),
            gettext("Each enrolled student counts once, at their tier today."),
        ),
        Series(
            "routes",
            gettext("Cases opened by route"),
            [translated(CASE_KIND_LABELS[k]) for k in CASE_KINDS],
            [routes[k] for k in CASE_KINDS],
            (gettext("Route"), gettext("Cases")),
            gettext("Each case opened in this school year counts once, by the kind of help it routes to."),
        ),
    ]
    return Dashboard(
        incidents=sum(months.values()),
        charts=charts,
        staffing=_staffing(ids, sum(tiers.values()), schools[0].district_id if schools else None),
        escalations_by_month=_escalations_by_month(ids, start, end, ZoneInfo(tz)),
    )


def _staffing(ids: list[int], students: int, district_id: int | None) -> list[Staffing]:
    """Staff of each support role serving these schools (district-wide staff count once) and
    their open cases, against the recommended students per staff member."""
    recommended = settings().staffing
    serving = sa.and_(
        User.district_id == district_id,
        sa.or_(
            User.district_wide.is_(True),
            sa.exists().where(user_schools.c.user_id == User.id, user_schools.c.school_id.in_(ids)),
        ),
    )
    staff = Counter(
        dict(
            db.session.execute(
                sa.select(UserRole.role, sa.func.count(sa.distinct(User.id)))
                .join(User, User.id == UserRole.user_id)
                .where(UserRole.role.in_(tuple(recommended)), User.active.is_(True), serving)
                .group_by(UserRole.role)
            ).all()
        )
    )
    cases = Counter(
        dict(
            db.session.execute(
                sa.select(Case.kind, sa.func.count())
                .where(Case.school_id.in_(ids), Case.status.in_(OPEN_CASE))
                .group_by(Case.kind)
            ).all()
        )
    )
    return [
        Staffing(role, CASE_KIND_LABELS[role], staff[role], students, recommended[role], cases[role])
        for role in recommended
    ]


def _escalations_by_month(ids: list[int], start, end, zone: ZoneInfo) -> dict:
    """Status -> 12 monthly counts (requests by the month they were made; emergency
    responses by the month of the call), months from August."""
    out = {status: [0] * 12 for status in ESCALATION_STATUSES}
    out["emergency"] = [0] * 12
    rows = db.session.execute(
        sa.select(Escalation.status, Escalation.requested_at).where(
            Escalation.school_id.in_(ids), Escalation.requested_at >= start, Escalation.requested_at < end
        )
    ).all()
    rows += db.session.execute(
        sa.select(sa.literal("emergency"), EmergencyResponse.called_at).where(
            EmergencyResponse.school_id.in_(ids),
            EmergencyResponse.called_at >= start,
            EmergencyResponse.called_at < end,
        )
    ).all()
    for status, at in rows:
        out[status][(at.astimezone(zone).month - SCHOOL_YEAR_START_MONTH) % 12] += 1
    return out
