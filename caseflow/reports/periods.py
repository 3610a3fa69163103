"""School years and the schools a report covers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from caseflow.db import now_utc
from caseflow.people.models import School
from caseflow.people.policy import schools_served

SCHOOL_YEAR_START_MONTH = 8  # a school year runs from 1 August to 31 July


def school_year_of(day: date) -> int:
    """The year the school year containing `day` began (2026 for 2026-27)."""
    return day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1


def current_school_year() -> int:
    return school_year_of(now_utc().date())


def year_bounds(start_year: int, tz: str = "UTC") -> tuple[datetime, datetime]:
    """From 1 August to 1 August at midnight in the district's (or school's) time zone."""
    zone = ZoneInfo(tz)
    return (
        datetime(start_year, SCHOOL_YEAR_START_MONTH, 1, tzinfo=zone),
        datetime(start_year + 1, SCHOOL_YEAR_START_MONTH, 1, tzinfo=zone),
    )


def zone_of(schools) -> str:
    """The time zone a report over `schools` counts days in: the first school's (a district's
    schools share one in practice), UTC when there is none."""
    return schools[0].time_zone if schools else "UTC"


def year_label(start_year: int) -> str:
    return f"{start_year}-{str(start_year + 1)[-2:]}"


def report_schools(user, school_id: int | None = None) -> list[School]:
    """The schools the user serves, or the one asked for if they serve it (else none)."""
    schools = schools_served(user)
    if school_id is not None:
        schools = [s for s in schools if s.id == school_id]
    return schools
