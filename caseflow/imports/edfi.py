"""Reading Ed-Fi XML interchanges (Data Standard 4/5) into import records. Pure: no database.

`parse_edfi(path, report, mapping, taxonomy)` reads every *.xml file of a folder (or one
file), whatever interchange each holds, and returns a `Roster`. An element that cannot be
read (a missing identifier, a bad date, an Ed-Fi value with no mapping, a reference to
something not in the files) is rejected in the report with its file, element and reason.

What is read: the district (LocalEducationAgency), schools, students, their school
enrollments when the files hold them (StudentSchoolAssociation), the special-education
(IDEA), Section 504 and language-instruction (English learner) program associations,
contacts and student-contact links, staff with their assignments, and discipline incidents
with the students and staff involved. Program flags count while an association has no
EndDate after `as_of`; a student with no current association is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, ElementTree

from caseflow.imports.mapping import EdfiMapping
from caseflow.imports.records import (
    DisciplineActionRecord,
    DistrictRecord,
    GuardianRecord,
    IncidentRecord,
    LinkRecord,
    Roster,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
)
from caseflow.imports.report import ImportReport, Where
from caseflow.incidents.taxonomy import Taxonomy

# Ed-Fi GradeLevelDescriptor CodeValues → our grades.
GRADE_LEVELS = {
    "preschool/prekindergarten": "PK",
    "kindergarten": "K",
    "first grade": "1",
    "second grade": "2",
    "third grade": "3",
    "fourth grade": "4",
    "fifth grade": "5",
    "sixth grade": "6",
    "seventh grade": "7",
    "eighth grade": "8",
    "ninth grade": "9",
    "tenth grade": "10",
    "eleventh grade": "11",
    "twelfth grade": "12",
}
GRADE_ORDER = ("PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
PROGRAM_FLAGS = {
    "StudentSpecialEducationProgramAssociation": ("idea_eligible", "IdeaEligibility"),
    "StudentSection504ProgramAssociation": ("section_504", "Section504Eligibility"),
    "StudentLanguageInstructionProgramAssociation": ("english_learner", None),
}
# Our flag → the program's name in the enrolment history (caseflow.roster.models.PROGRAMS).
PROGRAM_KEYS = {"idea_eligible": "idea", "section_504": "section_504", "english_learner": "english_learner"}
NOT_KEPT: dict[str, str] = {}
MAX_NAME = 100
MAX_REPORTER_NAME = 75  # Ed-Fi's ReporterName
MAX_CASE_NUMBER = 20  # Ed-Fi's CaseNumber
MAX_DESCRIPTION = 1024  # Ed-Fi's BehaviorDetailedDescription


class _Bad(Exception):
    """One element cannot be read; the message is the reason shown in the report."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, *path: str) -> Element | None:
    node: Element | None = el
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element, *path: str) -> str | None:
    node = _child(el, *path)
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def _required(el: Element, *path: str) -> str:
    value = _text(el, *path)
    if value is None:
        raise _Bad(f"{'/'.join(path)} is missing")
    return value


def _name(el: Element, *path: str, required: bool = True) -> str | None:
    value = _required(el, *path) if required else _text(el, *path)
    if value is not None and len(value) > MAX_NAME:
        raise _Bad(f"{'/'.join(path)} is longer than {MAX_NAME} characters")
    return value


def _date(el: Element, *path: str) -> date | None:
    value = _text(el, *path)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{'/'.join(path)} {value!r} is not a date (YYYY-MM-DD)") from None


def _time(el: Element, *path: str) -> time | None:
    value = _text(el, *path)
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{'/'.join(path)} {value!r} is not a time (HH:MM:SS)") from None


def _bool(el: Element, *path: str) -> bool | None:
    value = _text(el, *path)
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise _Bad(f"{'/'.join(path)} {value!r} is not true or false")


def _descriptor(value: str | None) -> str | None:
    """'uri://ed-fi.org/BehaviorDescriptor#State Offense' → 'State Offense'."""
    if value is None:
        return None
    return value.rsplit("#", 1)[-1].strip() or None


def _edfi_behavior(category: str, detailed: str | None) -> dict:
    """A behavior as the source gave it, kept to be exported again."""
    return {"behavior": category, "detailed": detailed[:MAX_DESCRIPTION] if detailed else None}


def _student_id(el: Element) -> str:
    return _required(el, "StudentReference", "StudentIdentity", "StudentUniqueId")


@dataclass
class _Element:
    file: str
    tag: str
    position: int
    el: Element

    def where(self, key: str | None = None, value: str | None = None) -> Where:
        label = f"<{self.tag}> #{self.position}"
        if key and value:
            label += f" ({key} {value})"
        return Where(self.file, label)


@dataclass
class _Incident:
    record: IncidentRecord
    source: Where
    problems: list[str] = field(default_factory=list)


def read_elements(path: Path, report: ImportReport) -> list[_Element]:
    """Every top-level element of every interchange file, with its file and position.

    A file that is not well-formed XML (or declares a DTD or entities) is rejected whole."""
    files = sorted(p for p in path.glob("*.xml")) if path.is_dir() else [path]
    if not files:
        report.reject("files", Where(str(path), "folder"), "no *.xml interchange files here")
    out: list[_Element] = []
    for file in files:
        try:
            root = ElementTree.parse(file, forbid_dtd=True).getroot()
        except ElementTree.ParseError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else "?"
            report.reject("files", Where(file.name, f"line {line}"), f"not well-formed XML: {exc}")
            continue
        except DefusedXmlException as exc:
            report.reject("files", Where(file.name, "document"), f"refused: {exc}")
            continue
        positions: dict[str, int] = {}
        for el in root:
            if not isinstance(el.tag, str):
                continue  # comments
            tag = _local(el.tag)
            positions[tag] = positions.get(tag, 0) + 1
            out.append(_Element(file.name, tag, positions[tag], el))
    return out


class EdfiReader:
    """Turns the elements of the interchanges into a Roster, reporting what it cannot read."""

    def __init__(
        self,
        report: ImportReport,
        mapping: EdfiMapping,
        taxonomy: Taxonomy,
        *,
        as_of: date,
        default_school: str | None = None,
    ):
        self.report = report
        self.mapping = mapping
        self.taxonomy = taxonomy
        self.as_of = as_of
        self.default_school = default_school
        self.roster = Roster(taxonomy_version=taxonomy.version)
        self._by_tag: dict[str, list[_Element]] = {}

    def read(self, elements: list[_Element]) -> Roster:
        for item in elements:
            self._by_tag.setdefault(item.tag, []).append(item)
        for tag, reason in NOT_KEPT.items():
            count = len(self._by_tag.get(tag, []))
            if count:
                self.report.notes.append(f"{count} <{tag}> elements not imported: {reason}.")
        self._district()
        self._schools()
        self._staff()
        self._students()
        self._contacts()
        self._incidents()
        self._discipline_actions()
        return self.roster

    def _each(self, tag: str, kind: str, key: str | None = None, key_path: tuple[str, ...] = ()):
        """(element, where) for each element of `tag`; an unreadable one is rejected."""
        for item in self._by_tag.get(tag, []):
            value = _text(item.el, *key_path) if key_path else None
            yield item, item.where(key, value)

    # Organisations ----------------------------------------------------------------------
    def _district(self) -> None:
        for item, where in self._each("LocalEducationAgency", "schools"):
            code = _text(item.el, "LocalEducationAgencyId")
            name = _text(item.el, "NameOfInstitution")
            if code and name:
                self.roster.district = DistrictRecord(where, code, name[:200])
                return

    def _schools(self) -> None:
        seen: set[str] = set()
        for item, where in self._each("School", "schools", "SchoolId", ("SchoolId",)):
            try:
                code = _required(item.el, "SchoolId")
                name = _required(item.el, "NameOfInstitution")
                if len(name) > 200:
                    raise _Bad("NameOfInstitution is longer than 200 characters")
                if code in seen:
                    raise _Bad(f"SchoolId {code} appears twice")
                grades = []
                for level in _children(item.el, "GradeLevel"):
                    value = _descriptor(level.text and level.text.strip())
                    if value and value.casefold() in GRADE_LEVELS:
                        grades.append(GRADE_LEVELS[value.casefold()])
            except _Bad as exc:
                self.report.reject("schools", where, str(exc))
                continue
            seen.add(code)
            grades.sort(key=GRADE_ORDER.index)
            self.roster.schools.append(
                SchoolRecord(where, code, name, grades[0] if grades else None, grades[-1] if grades else None)
            )

    # Staff ------------------------------------------------------------------------------
    def _staff(self) -> None:
        schools: dict[str, list[str]] = {}
        positions: dict[str, list[str]] = {}
        known_schools = {s.code for s in self.roster.schools}
        for tag in ("StaffEducationOrganizationAssignmentAssociation", "StaffSchoolAssociation"):
            for item, where in self._each(tag, "staff"):
                try:
                    staff_id = _required(item.el, "StaffReference", "StaffIdentity", "StaffUniqueId")
                except _Bad as exc:
                    self.report.reject("staff", where, str(exc))
                    continue
                org = _text(
                    item.el,
                    "EducationOrganizationReference",
                    "EducationOrganizationIdentity",
                    "EducationOrganizationId",
                ) or _text(item.el, "SchoolReference", "SchoolIdentity", "SchoolId")
                if org in known_schools:
                    schools.setdefault(staff_id, []).append(org)
                classification = _descriptor(_text(item.el, "StaffClassification"))
                if classification:
                    positions.setdefault(staff_id, []).append(classification)
        seen: set[str] = set()
        for item, where in self._each("Staff", "staff", "StaffUniqueId", ("StaffUniqueId",)):
            try:
                staff_id = _required(item.el, "StaffUniqueId")
                if staff_id in seen:
                    raise _Bad(f"StaffUniqueId {staff_id} appears twice")
                first = _name(item.el, "Name", "FirstName")
                last = _name(item.el, "Name", "LastSurname")
                roles, district_wide = [], False
                for classification in positions.get(staff_id, []):
                    position = self.mapping.staff_classifications.get(classification.casefold())
                    if position is None:
                        raise _Bad(
                            f"StaffClassification {classification!r} has no mapping in "
                            "workflows/edfi_mapping.yaml"
                        )
                    if position.role and position.role not in roles:
                        roles.append(position.role)
                    district_wide = district_wide or position.district_wide
            except _Bad as exc:
                self.report.reject("staff", where, str(exc))
                continue
            seen.add(staff_id)
            email = _text(item.el, "ElectronicMail", "ElectronicMailAddress")
            self.roster.staff.append(
                StaffRecord(
                    where,
                    staff_id,
                    f"{first} {last}"[:200],
                    email.lower() if email else None,
                    school_codes=sorted(set(schools.get(staff_id, []))),
                    roles=roles,
                    district_wide=district_wide,
                )
            )

    # Students ---------------------------------------------------------------------------
    def _enrollments(self) -> dict[str, tuple[str, str | None, date | None]]:
        """Student id → (school code, grade, entry date) from the current
        StudentSchoolAssociations."""
        out: dict[str, tuple[str, str | None, date | None]] = {}
        for item, where in self._each("StudentSchoolAssociation", "students"):
            try:
                student_id = _student_id(item.el)
                school = _required(item.el, "SchoolReference", "SchoolIdentity", "SchoolId")
                entry_date = _date(item.el, "EntryDate")
                exit_date = _date(item.el, "ExitWithdrawDate")
            except _Bad as exc:
                self.report.reject("students", where, str(exc))
                continue
            if exit_date is not None and exit_date <= self.as_of:
                continue
            grade = _descriptor(_text(item.el, "EntryGradeLevel"))
            out[student_id] = (school, GRADE_LEVELS.get(grade.casefold()) if grade else None, entry_date)
        return out

    def _programs(self) -> dict[str, dict[str, bool]]:
        """Student id → the flags whose program files are present, True while current; the
        begin dates of the current associations go to `self._program_begins`."""
        present = [tag for tag in PROGRAM_FLAGS if tag in self._by_tag]
        flags: dict[str, dict[str, bool]] = {}
        self._program_begins: dict[str, dict[str, date | None]] = {}
        for tag in present:
            flag, eligibility = PROGRAM_FLAGS[tag]
            for item, where in self._each(tag, "students"):
                try:
                    student_id = _student_id(item.el)
                    begin = _date(item.el, "BeginDate")
                    end = _date(item.el, "EndDate")
                    eligible = _bool(item.el, eligibility) if eligibility else None
                except _Bad as exc:
                    self.report.reject("students", where, str(exc))
                    continue
                current = (end is None or end > self.as_of) and eligible is not False
                flags.setdefault(student_id, {})
                flags[student_id][flag] = flags[student_id].get(flag, False) or current
                if current:
                    self._program_begins.setdefault(student_id, {})[PROGRAM_KEYS[flag]] = begin
        self._program_flags_present = [PROGRAM_FLAGS[tag][0] for tag in present]
        return flags

    def _students(self) -> None:
        enrollments = self._enrollments()
        programs = self._programs()
        if "Student" in self._by_tag and "StudentSchoolAssociation" not in self._by_tag:
            if self.default_school:
                self.report.notes.append(
                    f"The files hold no StudentSchoolAssociation: students are placed at school "
                    f"{self.default_school} (--default-school) and their grade is left unknown."
                )
        seen: set[str] = set()
        for item, where in self._each("Student", "students", "StudentUniqueId", ("StudentUniqueId",)):
            try:
                student_id = _required(item.el, "StudentUniqueId")
                if len(student_id) > 40:
                    raise _Bad("StudentUniqueId is longer than 40 characters")
                if student_id in seen:
                    raise _Bad(f"StudentUniqueId {student_id} appears twice")
                record = StudentRecord(
                    where,
                    student_id,
                    first_name=_name(item.el, "Name", "FirstName"),
                    last_name=_name(item.el, "Name", "LastSurname"),
                    middle_name=_name(item.el, "Name", "MiddleName", required=False),
                    preferred_name=_name(item.el, "Name", "PreferredFirstName", required=False),
                    birth_date=_date(item.el, "BirthData", "BirthDate"),
                )
            except _Bad as exc:
                self.report.reject("students", where, str(exc))
                continue
            seen.add(student_id)
            if record.preferred_name == record.first_name:
                record.preferred_name = None
            school, grade, entry = enrollments.get(student_id, (self.default_school, None, None))
            record.school_code, record.grade, record.enrolment_begin = school, grade, entry
            student_flags = programs.get(student_id, {})
            for flag in self._program_flags_present:
                setattr(record, flag, student_flags.get(flag, False))
            for program, begin in self._program_begins.get(student_id, {}).items():
                record.program_dates[program] = (begin, None)
            self.roster.students.append(record)

    # Guardians --------------------------------------------------------------------------
    def _contacts(self) -> None:
        by_element_id: dict[str, str] = {}
        seen: set[str] = set()
        for tag, id_tag in (("Contact", "ContactUniqueId"), ("Parent", "ParentUniqueId")):
            for item, where in self._each(tag, "guardians", id_tag, (id_tag,)):
                try:
                    contact_id = _required(item.el, id_tag)
                    if contact_id in seen:
                        raise _Bad(f"{id_tag} {contact_id} appears twice")
                    record = GuardianRecord(
                        where,
                        contact_id,
                        first_name=_name(item.el, "Name", "FirstName"),
                        last_name=_name(item.el, "Name", "LastSurname"),
                    )
                except _Bad as exc:
                    self.report.reject("guardians", where, str(exc))
                    continue
                seen.add(contact_id)
                if item.el.get("id"):
                    by_element_id[item.el.get("id")] = contact_id
                phones = []
                for phone in _children(item.el, "Telephone"):
                    number = _text(phone, "TelephoneNumber")
                    kind = _descriptor(_text(phone, "TelephoneNumberType")) or ""
                    if number and kind.casefold() != "fax":
                        priority = _text(phone, "OrderOfPriority")
                        phones.append((int(priority) if priority and priority.isdigit() else 99, number))
                record.phone = min(phones)[1][:40] if phones else None
                email = _text(item.el, "ElectronicMail", "ElectronicMailAddress")
                record.email = email[:254] if email else None
                self.roster.guardians.append(record)

        pairs: set[tuple[str, str]] = set()
        for tag, ref_tag in (
            ("StudentContactAssociation", "Contact"),
            ("StudentParentAssociation", "Parent"),
        ):
            for item, where in self._each(tag, "guardian_links"):
                try:
                    student_id = _student_id(item.el)
                    reference = _child(item.el, f"{ref_tag}Reference")
                    contact_id = None
                    if reference is not None and reference.get("ref"):
                        contact_id = by_element_id.get(reference.get("ref"))
                        if contact_id is None:
                            raise _Bad(f"{ref_tag}Reference ref={reference.get('ref')!r} is not in the files")
                    else:
                        contact_id = _required(
                            item.el, f"{ref_tag}Reference", f"{ref_tag}Identity", f"{ref_tag}UniqueId"
                        )
                    relation = _descriptor(_text(item.el, "Relation"))
                    if relation is None:
                        raise _Bad("Relation is missing")
                    relationship = self.mapping.relations.get(relation.casefold())
                    if relationship is None:
                        raise _Bad(f"Relation {relation!r} has no mapping in workflows/edfi_mapping.yaml")
                    if (student_id, contact_id) in pairs:
                        raise _Bad(f"student {student_id} and contact {contact_id} are linked twice")
                    record = LinkRecord(
                        Where(where.file, f"{where.where} (student {student_id}, contact {contact_id})"),
                        student_id,
                        contact_id,
                        relationship,
                        is_primary_contact=_bool(item.el, "PrimaryContactStatus"),
                        lives_with=_bool(item.el, "LivesWith"),
                    )
                except _Bad as exc:
                    self.report.reject("guardian_links", where, str(exc))
                    continue
                pairs.add((student_id, contact_id))
                self.roster.links.append(record)

    # Incidents --------------------------------------------------------------------------
    def _incident_key(self, el: Element, by_element_id: dict[str, str]) -> str:
        reference = _child(el, "DisciplineIncidentReference")
        if reference is None:
            raise _Bad("DisciplineIncidentReference is missing")
        if reference.get("ref"):
            key = by_element_id.get(reference.get("ref"))
            if key is None:
                raise _Bad(f"DisciplineIncidentReference ref={reference.get('ref')!r} is not in the files")
            return key
        identity = _child(reference, "DisciplineIncidentIdentity")
        if identity is None:
            raise _Bad("DisciplineIncidentReference has neither ref nor DisciplineIncidentIdentity")
        number = _required(identity, "IncidentIdentifier")
        school = _required(identity, "SchoolReference", "SchoolIdentity", "SchoolId")
        return f"{school}-{number}"

    def _discipline_actions(self) -> None:
        """DisciplineActions: what the school decided for a student (suspension, expulsion ...),
        linked to the incident when the action references the student's behavior in it."""
        from decimal import Decimal, InvalidOperation

        from caseflow.discipline.models import DISCIPLINE_ACTIONS

        seen: set[str] = set()
        for item, where in self._each(
            "DisciplineAction",
            "discipline_actions",
            "DisciplineActionIdentifier",
            ("DisciplineActionIdentifier",),
        ):
            try:
                number = _required(item.el, "DisciplineActionIdentifier")
                if len(number) > 36:
                    raise _Bad("DisciplineActionIdentifier is longer than Ed-Fi's 36 characters")
                student = _required(item.el, "StudentReference", "StudentIdentity", "StudentUniqueId")
                if len(student) > 32:
                    raise _Bad("StudentUniqueId is longer than Ed-Fi's 32 characters")
                school = _required(item.el, "ResponsibilitySchoolReference", "SchoolIdentity", "SchoolId")
                day = _date(item.el, "DisciplineDate")
                if day is None:
                    raise _Bad("DisciplineDate is missing")
                disciplines = [
                    _descriptor(d.text and d.text.strip()) for d in _children(item.el, "Discipline")
                ]
                disciplines = [d for d in disciplines if d]
                if not disciplines:
                    raise _Bad("Discipline is missing")
                lengths = []
                for name in ("DisciplineActionLength", "ActualDisciplineActionLength"):
                    text = _text(item.el, name)
                    try:
                        value = Decimal(text) if text else None
                    except InvalidOperation:
                        raise _Bad(f"{name} {text!r} is not a number") from None
                    if value is not None and not 0 <= value < 1000:
                        raise _Bad(f"{name} {text} is not a number of school days from 0 to 999")
                    lengths.append(value)
                incident = None
                link = _child(item.el, "StudentDisciplineIncidentBehaviorAssociationReference")
                identity = (
                    _child(link, "StudentDisciplineIncidentBehaviorAssociationIdentity") if link else None
                )
                if identity is not None:
                    incident = self._incident_key(identity, {})
                key = f"{number}|{student}|{day.isoformat()}"
                if key in seen:
                    raise _Bad(f"DisciplineAction {number} of student {student} on {day} appears twice")
            except _Bad as exc:
                self.report.reject("discipline_actions", where, str(exc))
                continue
            seen.add(key)
            # Ed-Fi allows several disciplines in one action; each is one action here.
            # A value outside the Ed-Fi list (a district's own) is kept as "Other", with the
            # source's wording in the note.
            for discipline in dict.fromkeys(disciplines):
                known = discipline in DISCIPLINE_ACTIONS
                self.roster.discipline_actions.append(
                    DisciplineActionRecord(
                        where,
                        key if len(disciplines) == 1 else f"{key}|{discipline}",
                        student,
                        school,
                        discipline if known else "Other",
                        day,
                        lengths[0],
                        lengths[1],
                        incident,
                        note=None if known else f"Discipline in the source: {discipline}"[:2000],
                    )
                )

    def _code(self, codes, value: str, what: str) -> str:
        """Our code for an Ed-Fi location/weapon (the lists use Ed-Fi values; any case)."""
        if value in codes:
            return value
        for code in codes:
            if code.casefold() == value.casefold():
                return code
        raise _Bad(f"{what} {value!r} is not in workflows/codes.yaml")

    def _role(self, participation: str | None, default: str) -> str:
        if participation is None:
            return default
        for role in self.taxonomy.participation_roles.values():
            if role.edfi and role.edfi.casefold() == participation.casefold():
                return role.code
        raise _Bad(f"DisciplineIncidentParticipationCode {participation!r} is not a known Ed-Fi value")

    def _behavior(self, edfi: str, detailed: str | None) -> str:
        code = self.mapping.behavior(edfi, detailed)
        if code is None:
            raise _Bad(f"Behavior {edfi!r} has no mapping in workflows/edfi_mapping.yaml")
        return code

    def _incidents(self) -> None:
        incidents: dict[str, _Incident] = {}
        by_element_id: dict[str, str] = {}
        for item, where in self._each(
            "DisciplineIncident", "incidents", "IncidentIdentifier", ("IncidentIdentifier",)
        ):
            try:
                number = _required(item.el, "IncidentIdentifier")
                school = _required(item.el, "SchoolReference", "SchoolIdentity", "SchoolId")
                key = f"{school}-{number}"
                if key in incidents:
                    raise _Bad(f"incident {number} of school {school} appears twice")
                occurred_on = _date(item.el, "IncidentDate")
                if occurred_on is None:
                    raise _Bad("IncidentDate is missing")
                location = _descriptor(_text(item.el, "IncidentLocation")) or "Unknown"
                behaviors, details, edfi_behaviors = [], [], []
                for behavior in _children(item.el, "Behavior"):
                    edfi = _descriptor(_text(behavior, "Behavior"))
                    detailed = _text(behavior, "BehaviorDetailedDescription")
                    if edfi:
                        code = self._behavior(edfi, detailed)
                        if code not in behaviors:
                            behaviors.append(code)
                        edfi_behaviors.append(_edfi_behavior(edfi, detailed))
                    if detailed:
                        details.append(detailed)
                reporter_name = _text(item.el, "ReporterName")
                if reporter_name and len(reporter_name) > MAX_REPORTER_NAME:
                    raise _Bad(f"ReporterName is longer than Ed-Fi's {MAX_REPORTER_NAME} characters")
                case_number = _text(item.el, "CaseNumber")
                if case_number and len(case_number) > MAX_CASE_NUMBER:
                    raise _Bad(f"CaseNumber is longer than Ed-Fi's {MAX_CASE_NUMBER} characters")
                record = IncidentRecord(
                    where,
                    key,
                    school,
                    occurred_on,
                    _time(item.el, "IncidentTime"),
                    self._code(self.taxonomy.locations, location, "IncidentLocation"),
                    behaviors,
                    description="",
                    reported_to_law_enforcement=bool(_bool(item.el, "ReportedToLawEnforcement")),
                    case_number=case_number,
                    reporter_name=reporter_name,
                    edfi_behaviors=edfi_behaviors,
                )
            except _Bad as exc:
                self.report.reject("incidents", where, str(exc))
                continue
            lines = [
                _text(item.el, "IncidentDescription") or "; ".join(details) or "No description in the source."
            ]
            lines.append(f"Imported from Ed-Fi: incident {number} of school {school}.")
            reporter = _text(item.el, "ReporterName")
            if reporter:
                lines.append(f"Reported by: {reporter}.")
            if record.reported_to_law_enforcement:
                case_number = _text(item.el, "CaseNumber")
                lines.append(
                    "The source records that it was reported to law enforcement"
                    + (f" (case number {case_number})." if case_number else ".")
                )
            record.description = "\n".join(lines)
            incidents[key] = _Incident(record, where)
            if item.el.get("id"):
                by_element_id[item.el.get("id")] = key

        self._incident_students(incidents, by_element_id)
        for item, where in self._each("StaffDisciplineIncidentAssociation", "incidents"):
            try:
                staff_id = _required(item.el, "StaffReference", "StaffIdentity", "StaffUniqueId")
                key = self._incident_key(item.el, by_element_id)
            except _Bad as exc:
                self.report.reject("incidents", where, str(exc))
                continue
            if key not in incidents:
                continue
            record = incidents[key].record
            if staff_id not in record.staff_external_ids:
                record.staff_external_ids.append(staff_id)
            codes = {
                (_descriptor(c.text) or "").casefold()
                for c in _children(item.el, "DisciplineIncidentParticipationCode")
            }
            if "reporter" in codes and record.reporter_external_id is None:
                record.reporter_external_id = staff_id
        for incident in incidents.values():
            record = incident.record
            if not record.behaviors and not incident.problems:
                incident.problems.append("no behavior (neither the incident nor a student names one)")
            if incident.problems:
                self.report.reject("incidents", incident.source, "; ".join(incident.problems))
            else:
                self.roster.incidents.append(record)

    def _incident_students(self, incidents: dict[str, _Incident], by_element_id: dict[str, str]) -> None:
        for tag, default_role in (
            ("StudentDisciplineIncidentBehaviorAssociation", "responsible"),
            ("StudentDisciplineIncidentNonOffenderAssociation", "witness"),
        ):
            for item, where in self._each(tag, "incidents"):
                try:
                    student_id = _student_id(item.el)
                    key = self._incident_key(item.el, by_element_id)
                    if key not in incidents:
                        raise _Bad(f"refers to incident {key}, which is not in the files or was rejected")
                except _Bad as exc:
                    self.report.reject("incidents", where, str(exc))
                    continue
                incident = incidents[key]
                try:
                    codes = [
                        _descriptor(c.text) for c in _children(item.el, "DisciplineIncidentParticipationCode")
                    ]
                    role = self._role(next((c for c in codes if c), None), default_role)
                    edfi = _descriptor(_text(item.el, "Behavior"))
                    if edfi:
                        detailed = _text(item.el, "BehaviorDetailedDescription")
                        code = self._behavior(edfi, detailed)
                        if code not in incident.record.behaviors:
                            incident.record.behaviors.append(code)
                        own = incident.record.student_behaviors.setdefault(student_id, [])
                        if _edfi_behavior(edfi, detailed) not in own:
                            own.append(_edfi_behavior(edfi, detailed))
                    weapon = _descriptor(_text(item.el, "Weapon"))
                    if weapon and incident.record.weapon_code is None:
                        incident.record.weapon_code = self._code(self.taxonomy.weapons, weapon, "Weapon")
                except _Bad as exc:
                    incident.problems.append(f"{where}: {exc}")
                    continue
                if all(s != student_id for s, _ in incident.record.students):
                    incident.record.students.append((student_id, role))


def parse_edfi(
    path: Path | str,
    report: ImportReport,
    mapping: EdfiMapping,
    taxonomy: Taxonomy,
    *,
    as_of: date,
    default_school: str | None = None,
) -> Roster:
    """Read an Ed-Fi folder (or one interchange file) into a Roster; problems go to `report`."""
    reader = EdfiReader(report, mapping, taxonomy, as_of=as_of, default_school=default_school)
    return reader.read(read_elements(Path(path), report))
