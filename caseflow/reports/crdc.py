"""Civil Rights Data Collection counts of referrals to law enforcement and school-related
arrests, as the collection counts them (../shared/reference/standards.md section 3):

- students, not instances: a student referred three times counts once (only the instance
  total counts every referral);
- three disjoint blocks by disability: without disabilities, IDEA, Section 504 only (a student
  with both IDEA and a 504 plan is counted under IDEA);
- each block by the 7 race/ethnicity groups and by sex (M, F); English learners as their own
  M/F pair, not crossed with race;
- published tables hide small cells (`suppress`).

`count()` is a pure function over `Person` rows, so these rules are tested on constructed data
whose answers are known; caseflow.reports.civil_rights feeds it from the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from caseflow.labels import N_

RACES = ("HI", "AM", "AS", "HP", "BL", "WH", "TR")  # as stored (caseflow.people.codes)
# The collection's M/F columns. A student recorded as non-binary, or whose race or sex is not
# recorded, is counted in no race/sex cell and shown apart as `not_reportable`, never guessed.
SEXES = ("M", "F")
BLOCKS = ("WODIS", "IDEA", "504")  # without disabilities, IDEA, Section 504 only
BLOCK_LABELS = {
    "WODIS": N_("Students without disabilities"),
    "IDEA": N_("Students with disabilities (IDEA)"),
    "504": N_("Students with disabilities (Section 504 only)"),
}


@dataclass(frozen=True)
class Person:
    """One student with the outcome in the year, with the group data the counts need.
    `instances`: how many times in the year."""

    student_id: int
    race: str | None
    sex: str | None
    idea: bool
    section_504: bool
    english_learner: bool
    instances: int = 1


def block_of(person: Person) -> str:
    if person.idea:
        return "IDEA"
    if person.section_504:
        return "504"
    return "WODIS"


@dataclass
class Counts:
    cells: dict  # (block, race, sex) -> students
    totals: dict  # (block, sex) -> students
    english_learners: dict  # (block, sex) -> English-learner students (whatever their race)
    instances: int
    students: int
    not_reportable: int  # students whose race or sex does not fit a cell

    def cell(self, block: str, race: str, sex: str) -> int:
        return self.cells.get((block, race, sex), 0)

    def total(self, block: str, sex: str) -> int:
        return self.totals.get((block, sex), 0)


def count(people: list[Person]) -> Counts:
    """Students, not instances: a student appears once whatever their number of events."""
    by_student: dict[int, Person] = {}
    instances = 0
    for p in people:
        instances += p.instances
        earlier = by_student.get(p.student_id)
        by_student[p.student_id] = replace(p, instances=p.instances + (earlier.instances if earlier else 0))
    cells: Counter = Counter()
    totals: Counter = Counter()
    english: Counter = Counter()
    not_reportable = 0
    for p in by_student.values():
        block = block_of(p)
        # English learners are counted by sex alone: a race not recorded does not drop them.
        if p.english_learner and p.sex in SEXES:
            english[(block, p.sex)] += 1
        if p.race not in RACES or p.sex not in SEXES:
            not_reportable += 1
            continue
        cells[(block, p.race, p.sex)] += 1
        totals[(block, p.sex)] += 1
    return Counts(dict(cells), dict(totals), dict(english), instances, len(by_student), not_reportable)


def suppress_row(values: list[int], below: int) -> list[int | None]:
    """Hide (None) each count of 1 to below-1; if that hides exactly one cell of the row, hide
    the smallest other non-zero cell too, so the hidden count cannot be worked out from the
    row's total. Zeros are shown: a zero tells nothing about a person."""
    out: list[int | None] = [None if 0 < v < below else v for v in values]
    hidden = [i for i, v in enumerate(out) if v is None]
    if len(hidden) == 1:
        others = [i for i, v in enumerate(out) if v]
        if others:
            out[min(others, key=lambda i: (values[i], i))] = None
    return out


def small(value: int, below: int | None) -> int | None:
    """A single published count: hidden when 1 to below-1."""
    return None if below and 0 < value < below else value


def table(counts: Counts, *, suppress_below: int | None) -> dict:
    """The published shape: per block and sex, the 7 race cells, the total and the English
    learners; the instance, student and not-reportable counts. With `suppress_below`, every
    small count is None (cells with their row's complement, totals and single counts alone)."""
    below = suppress_below
    rows = {}
    for block in BLOCKS:
        for sex in SEXES:
            values = [counts.cell(block, race, sex) for race in RACES]
            shown = suppress_row(values, below) if below else list(values)
            rows[(block, sex)] = {
                "cells": dict(zip(RACES, shown, strict=True)),
                "total": small(counts.total(block, sex), below),
                "english_learners": small(counts.english_learners.get((block, sex), 0), below),
            }
    return {
        "rows": rows,
        "instances": small(counts.instances, below),
        "students": small(counts.students, below),
        "not_reportable": small(counts.not_reportable, below),
    }
