"""The records both parsers produce and the writer consumes: one shape whatever the format.

A value of None means "the source does not say": the writer leaves the stored value as it
is (or unknown, for a new row) and never guesses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from caseflow.imports.report import Where


@dataclass
class DistrictRecord:
    source: Where
    code: str
    name: str


@dataclass
class SchoolRecord:
    source: Where
    code: str
    name: str
    lowest_grade: str | None = None
    highest_grade: str | None = None


@dataclass
class StudentRecord:
    source: Where
    local_id: str
    first_name: str
    last_name: str
    school_code: str | None = None
    # The source's dates of the enrolment at `school_code`, when it gives them.
    enrolment_begin: date | None = None
    enrolment_end: date | None = None
    middle_name: str | None = None
    preferred_name: str | None = None
    birth_date: date | None = None
    grade: str | None = None
    sex: str | None = None
    race_ethnicity: str | None = None
    idea_eligible: bool | None = None
    section_504: bool | None = None
    english_learner: bool | None = None
    # {"idea" | "section_504" | "english_learner": (begin, end)} of the current participation.
    program_dates: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    active: bool | None = None


@dataclass
class GuardianRecord:
    source: Where
    external_id: str
    first_name: str
    last_name: str
    phone: str | None = None
    email: str | None = None


@dataclass
class LinkRecord:
    source: Where
    student_local_id: str
    guardian_external_id: str
    relationship: str
    is_primary_contact: bool | None = None
    lives_with: bool | None = None


@dataclass
class StaffRecord:
    source: Where
    external_id: str
    full_name: str
    email: str | None
    school_codes: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    district_wide: bool = False


@dataclass
class IncidentRecord:
    source: Where
    external_id: str
    school_code: str
    occurred_on: date
    occurred_time: time | None
    location_code: str
    behaviors: list[str]
    description: str
    weapon_code: str | None = None
    # (student local id, our participation role)
    students: list[tuple[str, str]] = field(default_factory=list)
    staff_external_ids: list[str] = field(default_factory=list)
    reported_to_law_enforcement: bool = False
    case_number: str | None = None
    # The reporter as the source names them, and the staff member it links as Reporter.
    reporter_name: str | None = None
    reporter_external_id: str | None = None
    # The source's Ed-Fi behaviors, of the incident and of each student (local id), as
    # [{"behavior": category, "detailed": text or None}]: exported again as they came.
    edfi_behaviors: list[dict] = field(default_factory=list)
    student_behaviors: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class DisciplineActionRecord:
    source: Where
    external_id: str  # the source's key: identifier, student and date
    student_local_id: str
    school_code: str
    action_code: str  # an Ed-Fi DisciplineDescriptor value Caseflow keeps
    action_date: date
    length_days: Decimal | None = None
    actual_length_days: Decimal | None = None
    incident_external_id: str | None = None
    note: str | None = None


@dataclass
class Roster:
    """Everything one import read, in the order it is written."""

    district: DistrictRecord | None = None
    schools: list[SchoolRecord] = field(default_factory=list)
    staff: list[StaffRecord] = field(default_factory=list)
    students: list[StudentRecord] = field(default_factory=list)
    guardians: list[GuardianRecord] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    discipline_actions: list[DisciplineActionRecord] = field(default_factory=list)
    taxonomy_version: str | None = None
    # Whom the source marks as deleted (OneRoster status tobedeleted): student local ids and
    # staff external ids. A roster sync closes or deactivates them.
    withdrawn_students: list[str] = field(default_factory=list)
    withdrawn_staff: list[str] = field(default_factory=list)
