"""The civil-rights report: referrals to law enforcement and school-related arrests per school
and school year, counted by caseflow.reports.crdc, and its CSV in the collection's shape.

A referral to law enforcement counts the student reported for their own conduct, never a
student harmed or a witness (caseflow.reports.referrals says which events count and whom); a
school-related arrest is one whose outcome is an arrest (every arrest is also a referral).
Students in grades K-12 only, as the collection counts them.
Each event counts at the school where it happened. IDEA, Section 504 and English-learner
status are the student's on the day of the event (caseflow.reports.population); race/ethnicity
and sex are as recorded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.models import District, School, Student
from caseflow.reports import crdc, referrals
from caseflow.reports.csvcells import safe, spreadsheet_file
from caseflow.reports.periods import year_bounds
from caseflow.reports.population import program_history
from caseflow.reports.settings import settings

MEASURES = {"REF": N_("Referrals to law enforcement"), "ARR": N_("School-related arrests")}


@dataclass
class SchoolCounts:
    school: School
    referrals: crdc.Counts
    arrests: crdc.Counts


def counts_by_school(schools: list[School], start_year: int) -> list[SchoolCounts]:
    """Two queries, whatever the number of schools and events: the events with the students'
    recorded race and sex, then the program history of those students."""
    if not schools:
        return []
    tz = schools[0].time_zone
    start, end = year_bounds(start_year, tz)
    events = referrals.events(start, end, [s.id for s in schools])
    rows = db.session.execute(
        sa.select(
            events.c.school_id,
            Student.id,
            Student.race_ethnicity,
            Student.sex,
            events.c.at,
            events.c.arrest,
        )
        .join(Student, Student.id == events.c.student_id)
        .where(sa.or_(Student.grade.is_(None), Student.grade != "PK"))
        .order_by(events.c.at)  # a student in several groups over the year counts in the latest
    ).all()
    history = program_history(row[1] for row in rows)
    zone = ZoneInfo(tz)
    referred: dict[int, list] = {s.id: [] for s in schools}
    arrested: dict[int, list] = {s.id: [] for s in schools}
    for school_id, student_id, race, sex, at, arrest in rows:
        groups = history.on(student_id, at.astimezone(zone).date())  # the group on the event's day
        person = crdc.Person(student_id, race, sex, groups.idea, groups.section_504, groups.english_learner)
        referred[school_id].append(person)
        if arrest:
            arrested[school_id].append(person)
    return [SchoolCounts(s, crdc.count(referred[s.id]), crdc.count(arrested[s.id])) for s in schools]


def _prefix(block: str) -> str:
    return "SCH_DISCWODIS" if block == "WODIS" else f"SCH_DISCWDIS_{block}"


def columns() -> list[str]:
    """The CSV's columns, after the public-use files' pattern (SCH_DISCWODIS_REF_HI_M ...):
    per measure and disability block, 7 races x 2 sexes, the block's totals and its English
    learners by sex."""
    out = ["LEA_STATE_ID", "LEA_NAME", "SCH_ID", "SCH_NAME", "SCHOOL_YEAR"]
    for measure in MEASURES:
        out.append(f"SCH_{measure}_INSTANCES")
        for block in crdc.BLOCKS:
            prefix = _prefix(block)
            for race in crdc.RACES:
                out += [f"{prefix}_{measure}_{race}_{sex}" for sex in crdc.SEXES]
            out += [f"TOT_{prefix[4:]}_{measure}_{sex}" for sex in crdc.SEXES]
            out += [f"{prefix}_{measure}_LEP_{sex}" for sex in crdc.SEXES]
        out.append(f"SCH_{measure}_NOT_REPORTABLE")
    return out


SUPPRESSED = -5  # written for a hidden cell: negative values are reserve codes, never counts


def row_values(district: District, item: SchoolCounts, start_year: int, *, suppressed: bool) -> dict:
    below = settings().suppress_below if suppressed else None
    values = {
        "LEA_STATE_ID": district.code,
        "LEA_NAME": district.name,
        "SCH_ID": item.school.code,
        "SCH_NAME": item.school.name,
        "SCHOOL_YEAR": f"{start_year}-{start_year + 1}",
    }
    for measure, counts in (("REF", item.referrals), ("ARR", item.arrests)):
        shown = crdc.table(counts, suppress_below=below)
        values[f"SCH_{measure}_INSTANCES"] = shown["instances"]
        for block in crdc.BLOCKS:
            prefix = _prefix(block)
            for sex in crdc.SEXES:
                row = shown["rows"][(block, sex)]
                for race in crdc.RACES:
                    values[f"{prefix}_{measure}_{race}_{sex}"] = row["cells"][race]
                values[f"TOT_{prefix[4:]}_{measure}_{sex}"] = row["total"]
                values[f"{prefix}_{measure}_LEP_{sex}"] = row["english_learners"]
        values[f"SCH_{measure}_NOT_REPORTABLE"] = shown["not_reportable"]
    return {k: (SUPPRESSED if v is None else v) for k, v in values.items()}


def csv_text(district: District, items: list[SchoolCounts], start_year: int, *, suppressed: bool) -> str:
    out = spreadsheet_file()
    writer = csv.DictWriter(out, fieldnames=columns(), lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow(
            {k: safe(v) for k, v in row_values(district, item, start_year, suppressed=suppressed).items()}
        )
    return out.getvalue()
