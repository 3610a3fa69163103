"""Reading a OneRoster 1.1 CSV roster (a folder or a zip) into import records. Pure: no database.

Files read: orgs.csv (the district and its schools), users.csv (students, guardians and
staff), enrollments.csv (which school a student or teacher is in), and, when present,
demographics.csv (birth date, sex, race/ethnicity). classes.csv and the rest are not needed.

Lenient with harmless quirks: a UTF-8 byte-order mark, header names in any case or with
spaces around them, blank lines. Strict with real errors, each a rejected row with the file,
the line and the reason: a missing required column (the whole file), a duplicate sourcedId,
an unknown org or user reference, a bad date, a value outside the specification's list.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

from caseflow.imports.records import (
    DistrictRecord,
    GuardianRecord,
    LinkRecord,
    Roster,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
)
from caseflow.imports.report import ImportReport, Where

# Columns we read, in the specification's spelling; the ones that must be there are marked.
COLUMNS = {
    "orgs.csv": (("sourcedId", "name", "type"), ("status", "identifier", "parentSourcedId")),
    "users.csv": (
        ("sourcedId", "role", "givenName", "familyName"),
        (
            "status",
            "enabledUser",
            "orgSourcedIds",
            "identifier",
            "email",
            "phone",
            "sms",
            "middleName",
            "agentSourcedIds",
            "grades",
            "username",
        ),
    ),
    "enrollments.csv": (
        ("sourcedId", "schoolSourcedId", "userSourcedId", "role"),
        ("status", "classSourcedId", "primary", "beginDate", "endDate"),
    ),
    "demographics.csv": (
        ("sourcedId",),
        (
            "status",
            "birthDate",
            "sex",
            "americanIndianOrAlaskaNative",
            "asian",
            "blackOrAfricanAmerican",
            "nativeHawaiianOrOtherPacificIslander",
            "white",
            "demographicRaceTwoOrMoreRaces",
            "hispanicOrLatinoEthnicity",
        ),
    ),
}
REQUIRED_FILES = ("orgs.csv", "users.csv", "enrollments.csv")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
USER_ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
STAFF_ROLES = {
    "administrator": "administrator",
    "aide": "teacher",
    "teacher": "teacher",
    "proctor": "teacher",
}
GUARDIAN_ROLES = {"parent": "parent", "guardian": "legal_guardian", "relative": "relative"}
# OneRoster grade codes (CEDS) → our grades.
GRADES = {"PK": "PK", "KG": "K", **{f"{n:02d}": str(n) for n in range(1, 13)}}
RACE_COLUMNS = {
    "americanIndianOrAlaskaNative": "AM",
    "asian": "AS",
    "blackOrAfricanAmerican": "BL",
    "nativeHawaiianOrOtherPacificIslander": "HP",
    "white": "WH",
}
SEX = {"male": "M", "female": "F"}


class _Bad(Exception):
    pass


def _read_files(path: Path, report: ImportReport) -> dict[str, str]:
    """File name (lower case) → text, from a folder or a zip; a BOM is dropped."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for file in path.iterdir():
            if file.is_file() and file.suffix.lower() == ".csv":
                raw[file.name.lower()] = file.read_bytes()
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    name = info.filename.rsplit("/", 1)[-1].lower()
                    if name.endswith(".csv"):
                        raw[name] = archive.read(info)
        except zipfile.BadZipFile:
            report.reject("files", Where(path.name, "file"), "neither a folder nor a zip file")
            return {}
    texts = {}
    for name, data in raw.items():
        try:
            texts[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            report.reject("files", Where(name, f"byte {exc.start}"), "not UTF-8 text")
    return texts


def _rows(name: str, text: str, report: ImportReport) -> list[tuple[Where, dict[str, str]]] | None:
    """The rows as {spec column: stripped value}, or None if a required column is missing."""
    required, optional = COLUMNS[name]
    canonical = {c.casefold(): c for c in (*required, *optional)}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        report.reject("files", Where(name, "line 1"), "the file is empty (no header line)")
        return None
    columns = [canonical.get(h.strip().casefold(), h.strip()) for h in header]
    missing = [c for c in required if c not in columns]
    if missing:
        report.reject("files", Where(name, "line 1"), f"missing required column(s): {', '.join(missing)}")
        return None
    out = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = Where(name, f"line {reader.line_num}")
            if len(row) > len(columns):
                report.reject("files", where, f"{len(row)} values for {len(columns)} columns")
                continue
            values = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)}
            out.append((where, values))
    except csv.Error as exc:
        report.reject("files", Where(name, f"line {reader.line_num}"), f"not valid CSV: {exc}")
        return None
    return out


def _date(value: str, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{column} {value!r} is not a date (YYYY-MM-DD)") from None


def _bool(value: str, column: str) -> bool | None:
    if not value:
        return None
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise _Bad(f"{column} {value!r} is not true or false")


def _one_of(value: str, allowed, column: str) -> str:
    if value not in allowed:
        raise _Bad(f"{column} {value!r} is not one of: {', '.join(allowed)}")
    return value


def _name(value: str, column: str, required: bool = True) -> str | None:
    if not value:
        if required:
            raise _Bad(f"{column} is empty")
        return None
    if len(value) > 100:
        raise _Bad(f"{column} is longer than 100 characters")
    return value


def _race(values: dict[str, str]) -> str | None:
    """OMB 7 categories: Hispanic first, then two or more races, then the one race; else unknown."""
    if _bool(values.get("hispanicOrLatinoEthnicity", ""), "hispanicOrLatinoEthnicity"):
        return "HI"
    races = [code for column, code in RACE_COLUMNS.items() if _bool(values.get(column, ""), column)]
    if (
        _bool(values.get("demographicRaceTwoOrMoreRaces", ""), "demographicRaceTwoOrMoreRaces")
        or len(races) > 1
    ):
        return "TR"
    return races[0] if races else None


class _Unique:
    """Rejects a second row with the same sourcedId in a file."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def check(self, source_id: str, where: Where) -> None:
        if not source_id:
            raise _Bad("sourcedId is empty")
        if source_id in self.seen:
            raise _Bad(f"duplicate sourcedId {source_id!r} (first at {self.seen[source_id]})")
        self.seen[source_id] = where.where


Rows = dict[str, list[tuple[Where, dict[str, str]]]]


def parse_oneroster(path: Path | str, report: ImportReport) -> Roster:
    """Read a OneRoster 1.1 CSV folder or zip into a Roster; problems go to `report`."""
    path = Path(path)
    texts = _read_files(path, report)
    rows = {}
    for name in COLUMNS:
        if name not in texts:
            if name in REQUIRED_FILES:
                report.reject("files", Where(name, "file"), "missing from the roster")
            continue
        parsed = _rows(name, texts[name], report)
        if parsed is not None:
            rows[name] = parsed
    if any(name not in rows for name in REQUIRED_FILES):
        return Roster()
    return roster_from_rows(rows, report)


def roster_from_rows(rows: Rows, report: ImportReport) -> Roster:
    """The records of a OneRoster roster given as rows of its CSV files ({"users.csv": [(where,
    {column: text})]}), whether they were read from files or from a REST provider's JSON."""
    roster = Roster()

    # Orgs: the district and the schools ---------------------------------------------------
    unique = _Unique()
    schools: dict[str, str] = {}  # org sourcedId → school code
    districts = []
    for where, values in rows["orgs.csv"]:
        if values.get("status", "").lower() == "tobedeleted":
            report.skip("schools", where, "status tobedeleted")
            continue
        try:
            unique.check(values["sourcedId"], where)
            kind = _one_of(values["type"], ORG_TYPES, "type")
            name = values["name"]
            if not name or len(name) > 200:
                raise _Bad("name is empty or longer than 200 characters")
            code = values.get("identifier") or values["sourcedId"]
            if len(code) > 40:
                raise _Bad("identifier (the school code) is longer than 40 characters")
        except _Bad as exc:
            report.reject("schools", where, str(exc))
            continue
        if kind == "district":
            districts.append(DistrictRecord(where, code, name))
        elif kind == "school":
            schools[values["sourcedId"]] = code
            roster.schools.append(SchoolRecord(where, code, name))
    if len(districts) == 1:
        roster.district = districts[0]
    elif len(districts) > 1:
        report.notes.append("orgs.csv has several districts: give --district CODE.")

    # Enrollments: a student's or teacher's school -------------------------------------------
    users_unique = _Unique()
    user_ids = {values["sourcedId"] for _, values in rows["users.csv"]}
    enrolled: dict[str, list[str]] = {}
    enrolled_dates: dict[tuple[str, str], list[tuple[date | None, date | None]]] = {}
    unique = _Unique()
    for where, values in rows["enrollments.csv"]:
        if values.get("status", "").lower() == "tobedeleted":
            continue
        try:
            unique.check(values["sourcedId"], where)
            _one_of(
                values["role"],
                ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"),
                "role",
            )
            if values["schoolSourcedId"] not in schools:
                raise _Bad(f"schoolSourcedId {values['schoolSourcedId']!r} is not a school of orgs.csv")
            if values["userSourcedId"] not in user_ids:
                raise _Bad(f"userSourcedId {values['userSourcedId']!r} is not in users.csv")
            begin = _date(values.get("beginDate", ""), "beginDate")
            end = _date(values.get("endDate", ""), "endDate")
            if begin and end and end < begin:
                raise _Bad("endDate is before beginDate")
            _bool(values.get("primary", ""), "primary")
        except _Bad as exc:
            report.reject("students", where, str(exc))
            continue
        codes = enrolled.setdefault(values["userSourcedId"], [])
        if schools[values["schoolSourcedId"]] not in codes:
            codes.append(schools[values["schoolSourcedId"]])
        dates = enrolled_dates.setdefault((values["userSourcedId"], schools[values["schoolSourcedId"]]), [])
        dates.append((begin, end))

    # Demographics ---------------------------------------------------------------------------
    demographics: dict[str, tuple[date | None, str | None, str | None]] = {}
    unique = _Unique()
    for where, values in rows.get("demographics.csv", []):
        try:
            unique.check(values["sourcedId"], where)
            if values["sourcedId"] not in user_ids:
                raise _Bad(f"sourcedId {values['sourcedId']!r} is not a user of users.csv")
            birth = _date(values.get("birthDate", ""), "birthDate")
            sex_value = values.get("sex", "").lower()
            sex = SEX[_one_of(sex_value, tuple(SEX), "sex")] if sex_value else None
            race = _race(values)
        except _Bad as exc:
            report.reject("students", where, str(exc))
            continue
        demographics[values["sourcedId"]] = (birth, sex, race)

    # Users ----------------------------------------------------------------------------------
    known_orgs = {values["sourcedId"] for _, values in rows["orgs.csv"]}
    guardian_of: list[tuple[Where, str, str]] = []  # (where, student sourcedId, agent sourcedId)
    guardian_roles: dict[str, str] = {}
    local_ids: dict[str, str] = {}
    for where, values in rows["users.csv"]:
        source_id = values["sourcedId"]
        try:
            users_unique.check(source_id, where)
            role = _one_of(values["role"], USER_ROLES, "role")
            first = _name(values["givenName"], "givenName")
            last = _name(values["familyName"], "familyName")
            orgs = [o.strip() for o in values.get("orgSourcedIds", "").split(",") if o.strip()]
            unknown = [o for o in orgs if o not in known_orgs]
            if unknown:
                raise _Bad(f"orgSourcedIds {', '.join(unknown)}: not in orgs.csv")
            enabled = _bool(values.get("enabledUser", ""), "enabledUser")
        except _Bad as exc:
            report.reject("staff" if values.get("role") in STAFF_ROLES else "students", where, str(exc))
            continue
        if values.get("status", "").lower() == "tobedeleted":
            report.skip("students", where, "status tobedeleted")
            if role == "student":
                roster.withdrawn_students.append(values.get("identifier") or source_id)
            elif role in STAFF_ROLES:
                roster.withdrawn_staff.append(source_id)
            continue
        school_codes = list(enrolled.get(source_id, [])) + [schools[o] for o in orgs if o in schools]
        school_codes = list(dict.fromkeys(school_codes))
        if role == "student":
            try:
                grades = [g.strip() for g in values.get("grades", "").split(",") if g.strip()]
                grade = GRADES[_one_of(grades[0], tuple(GRADES), "grades")] if grades else None
                local_id = values.get("identifier") or source_id
                if len(local_id) > 40:
                    raise _Bad("identifier (the student id) is longer than 40 characters")
                middle = _name(values.get("middleName", ""), "middleName", required=False)
            except _Bad as exc:
                report.reject("students", where, str(exc))
                continue
            birth, sex, race = demographics.get(source_id, (None, None, None))
            local_ids[source_id] = local_id
            school = school_codes[0] if school_codes else None
            spans = enrolled_dates.get((source_id, school), [])
            # The school's enrolment: the earliest begin, and an end only when every one ended.
            begins = [b for b, _ in spans]
            ends = [e for _, e in spans]
            begin = min(begins) if spans and None not in begins else None
            end = max(ends) if spans and None not in ends else None
            roster.students.append(
                StudentRecord(
                    where,
                    local_id,
                    first,
                    last,
                    school_code=school,
                    enrolment_begin=begin,
                    enrolment_end=end,
                    middle_name=middle,
                    birth_date=birth,
                    grade=grade,
                    sex=sex,
                    race_ethnicity=race,
                    active=enabled,
                )
            )
            for agent in (a.strip() for a in values.get("agentSourcedIds", "").split(",") if a.strip()):
                guardian_of.append((where, source_id, agent))
        elif role in GUARDIAN_ROLES:
            guardian_roles[source_id] = GUARDIAN_ROLES[role]
            phone = values.get("phone") or values.get("sms") or None
            roster.guardians.append(
                GuardianRecord(
                    where,
                    source_id,
                    first,
                    last,
                    phone=phone[:40] if phone else None,
                    email=values.get("email")[:254] if values.get("email") else None,
                )
            )
        else:
            email = values.get("email", "").lower() or None
            roster.staff.append(
                StaffRecord(
                    where,
                    source_id,
                    f"{first} {last}",
                    email,
                    school_codes=school_codes,
                    roles=[STAFF_ROLES[role]],
                )
            )
    for where, student_id, agent in guardian_of:
        if agent not in guardian_roles:
            if agent in user_ids:
                report.reject(
                    "guardian_links",
                    where,
                    f"agentSourcedIds {agent!r} is not a parent, guardian or relative",
                )
            else:
                report.reject("guardian_links", where, f"agentSourcedIds {agent!r} is not in users.csv")
            continue
        roster.links.append(LinkRecord(where, local_ids[student_id], agent, guardian_roles[agent]))
    return roster
