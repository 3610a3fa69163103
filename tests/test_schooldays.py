"""School days: weekdays minus the district's holidays, in each school's time zone."""

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from caseflow.schooldays import CalendarError, SchoolCalendar, load_calendar, school_calendar

CAL = SchoolCalendar(frozenset({date(2026, 11, 26), date(2026, 11, 27)}), time(16, 0))


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        # Tuesday 10:00 in Chicago: the same day, 16:00 Chicago = 22:00 UTC.
        (
            datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
            "America/Chicago",
            datetime(2026, 11, 24, 22, 0, tzinfo=UTC),
        ),
        # Tuesday 17:00 in Chicago, after school: Wednesday's end.
        (
            datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
            "America/Chicago",
            datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
        ),
        # Wednesday evening before Thanksgiving (Thu, Fri holidays) and the weekend: Monday.
        (
            datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            "America/Chicago",
            datetime(2026, 11, 30, 22, 0, tzinfo=UTC),
        ),
        # The same instant is still Wednesday afternoon in Los Angeles (17:00 UTC = 09:00 PST).
        (
            datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
            "America/Los_Angeles",
            datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
        ),
        # ... but already Wednesday evening in Tokyo: after school, so the next school day, Monday.
        (datetime(2026, 11, 25, 17, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),
        # Saturday: Monday.
        (
            datetime(2026, 11, 28, 15, 0, tzinfo=UTC),
            "America/Chicago",
            datetime(2026, 11, 30, 22, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_same_school_day(at, tz, expected):
    assert CAL.deadline(at, tz, 0) == expected


def test_n_school_days_skip_weekends_and_holidays():
    tuesday = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
    assert CAL.deadline(tuesday, "America/Chicago", 2).date() == date(2026, 11, 30)  # Wed, (Thu, Fri), Mon
    assert CAL.deadline(tuesday, "America/Chicago", 5).date() == date(2026, 12, 3)
    assert CAL.school_days_between(date(2026, 11, 24), date(2026, 11, 30)) == 2


def test_daylight_saving_is_the_schools_own():
    # 8 March 2027: the US has switched to daylight time, Chicago closes at 21:00 UTC.
    monday = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    assert CAL.deadline(monday, "America/Chicago", 0) == datetime(2027, 3, 15, 21, 0, tzinfo=UTC)


def test_the_shipped_calendar_loads_with_its_breaks():
    cal = school_calendar()
    assert not cal.is_school_day(date(2026, 11, 25))  # Thanksgiving break
    assert not cal.is_school_day(date(2026, 12, 31))  # winter break
    assert cal.is_school_day(date(2026, 11, 24))


def test_a_bad_calendar_names_its_line(tmp_path: Path):
    bad = tmp_path / "calendar.yaml"
    bad.write_text(
        'school_day_ends: "16:00"\nholidays:\n  - {date: 2026-11-26, name: Thanksgiving}\n'
        "  - {from: 2026-12-23, to: 2026-12-21, name: Winter}\n"
    )
    with pytest.raises(CalendarError, match=r"calendar.yaml:4: 'to' is before 'from'"):
        load_calendar(bad)
    bad.write_text('school_day_ends: "late"\nholidays: []\n')
    with pytest.raises(CalendarError, match=r"calendar.yaml:1: school_day_ends"):
        load_calendar(bad)
