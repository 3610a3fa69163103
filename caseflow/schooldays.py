"""School days: weekdays minus the district's holidays (workflows/calendar.yaml), counted in
each school's time zone. Deadlines such as "the same school day" or "within 2 school days"
are computed here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from caseflow.yamldoc import line_of, read_yaml

FILE = Path(__file__).resolve().parents[1] / "workflows" / "calendar.yaml"


class CalendarError(Exception):
    pass


def format_local(at: datetime, tz: str) -> str:
    """A moment as people at the school read it: "17 Nov 2026 09:15 CST"."""
    return at.astimezone(ZoneInfo(tz)).strftime("%d %b %Y %H:%M %Z")


@dataclass(frozen=True)
class SchoolCalendar:
    holidays: frozenset[date]
    day_ends: time
    names: tuple[tuple[date, str], ...] = ()

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_school_day(self, day: date) -> date:
        """The first school day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_school_day(day):
            day += timedelta(days=1)
        return day

    def school_day_of(self, at: datetime, tz: str) -> date:
        """The school day something arriving at `at` counts on: today if it is a school day
        and school has not ended, otherwise the next school day."""
        local = at.astimezone(ZoneInfo(tz))
        if self.is_school_day(local.date()) and local.time() < self.day_ends:
            return local.date()
        return self.next_school_day(local.date())

    def end_of(self, day: date, tz: str) -> datetime:
        """When school ends on `day`, in UTC."""
        return datetime.combine(day, self.day_ends, ZoneInfo(tz)).astimezone(UTC)

    def deadline(self, at: datetime, tz: str, school_days: int = 0) -> datetime:
        """The end of the school day `school_days` after the one `at` counts on
        (0: the same school day)."""
        day = self.school_day_of(at, tz)
        for _ in range(school_days):
            day = self.next_school_day(day)
        return self.end_of(day, tz)

    @lru_cache(maxsize=4096)  # noqa: B019 - calendars are few, frozen and live as long as the app
    def school_days_between(self, start: date, end: date) -> int:
        """School days after `start` up to and including `end` (0 when end <= start).
        Remembered: a report asks it of the same days for every removal of a year."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_school_day(day)
        return count


def load_calendar(path: Path = FILE) -> SchoolCalendar:
    """Read and check the calendar; raises CalendarError naming the file, the line and the problem."""
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise CalendarError("\n".join(errors) or f"{path}: cannot be read")
    data = doc.data if isinstance(doc.data, dict) else {}
    ends = data.get("school_day_ends")
    try:
        day_ends = time.fromisoformat(str(ends))
    except ValueError:
        raise CalendarError(
            f'{path}:{line_of(doc.node, ("school_day_ends",))}: school_day_ends must be a time like "16:00"'
        ) from None
    entries = data.get("holidays") or []
    if not isinstance(entries, list):
        raise CalendarError(f"{path}: holidays must be a list")
    days: set[date] = set()
    names: list[tuple[date, str]] = []
    for i, entry in enumerate(entries):
        where = f"{path}:{line_of(doc.node, ('holidays', i))}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            errors.append(f"{where}: each holiday has a name and a date (or from and to)")
            continue
        if set(entry) == {"date", "name"} and isinstance(entry["date"], date):
            first = last = entry["date"]
        elif set(entry) == {"from", "to", "name"} and all(isinstance(entry[k], date) for k in ("from", "to")):
            first, last = entry["from"], entry["to"]
            if last < first:
                errors.append(f"{where}: 'to' is before 'from'")
                continue
        else:
            errors.append(f"{where}: write date: YYYY-MM-DD, or from: and to: YYYY-MM-DD")
            continue
        names.append((first, entry["name"]))
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    if errors:
        raise CalendarError("\n".join(errors))
    return SchoolCalendar(frozenset(days), day_ends, tuple(names))


@cache
def school_calendar() -> SchoolCalendar:
    return load_calendar()
