"""The student groups the disparity monitor compares: race/ethnicity (the 7 federal
categories), disability (IDEA; Section 504 only, as the Civil Rights Data Collection separates
them: a student with both counts under IDEA), English learners, and sex.

A student's `Profile` for a school year is what the monitor groups them by: race/ethnicity and
sex as recorded, and each program they took part in on at least one day of the school year
(caseflow.roster's program history). Every group is compared with all the other students of
the same school or district, including those whose race or sex is not recorded: they are in
every comparison group but form no group of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from caseflow.labels import N_
from caseflow.people.codes import RACE_ETHNICITY, SEX

GROUPINGS = {
    "race_ethnicity": N_("Race/ethnicity"),
    "disability": N_("Disability"),
    "english_learner": N_("English learners"),
    "sex": N_("Sex"),
}


@dataclass(frozen=True)
class Profile:
    race: str | None
    sex: str | None
    idea: bool
    section_504: bool
    english_learner: bool


@dataclass(frozen=True)
class Group:
    grouping: str
    key: str  # unique across groupings: the race code, "idea", "section_504", "english_learner", "sex_F"
    label: str
    member: Callable[[Profile], bool]

    @property
    def race(self) -> str | None:
        return self.key if self.grouping == "race_ethnicity" else None


def _race(code: str) -> Callable[[Profile], bool]:
    return lambda p: p.race == code


def _sex(code: str) -> Callable[[Profile], bool]:
    return lambda p: p.sex == code


RACE_GROUPS = tuple(
    Group("race_ethnicity", code, label, _race(code)) for code, label in RACE_ETHNICITY.items()
)
GROUPS = (
    *RACE_GROUPS,
    Group("disability", "idea", N_("Students with disabilities (IDEA)"), lambda p: p.idea),
    Group(
        "disability",
        "section_504",
        N_("Students with disabilities (Section 504 only)"),
        lambda p: p.section_504 and not p.idea,
    ),
    Group("english_learner", "english_learner", N_("English learners"), lambda p: p.english_learner),
    *(Group("sex", f"sex_{code}", label, _sex(code)) for code, label in SEX.items()),
)


def total(counts, group: Group) -> int:
    """The sum of `counts` ({Profile: n}) over the profiles in `group`."""
    return sum(n for profile, n in counts.items() if group.member(profile))
