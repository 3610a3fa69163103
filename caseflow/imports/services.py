"""Writing an import: matching records to what the district holds, then creating or updating.

`import_roster()` is the one entry point. It runs in one transaction of its own:

* every record is matched on the source's identifiers (school code, student local id,
  guardian / staff / incident external id), so importing again updates instead of
  duplicating, and a record equal to what is stored counts as unchanged;
* a record the district cannot take (an unknown school, a student the files do not place in
  a school, a link to a student that was rejected...) is rejected with its reason;
* all or nothing: if anything was rejected, nothing is kept unless `accept_partial`; a dry
  run checks and counts everything and then rolls back;
* imported incidents are history: stored as resolved, never triaged, so they open no case,
  send no notification and can never create an escalation;
* one audit event per import run names every created and updated record (with the changed
  fields), in the same transaction as the changes.

Values the source does not give (None in the records) are left as stored; on a new row they
stay unknown (NULL) or take the column's neutral default (flags false, injury none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.audit.chain import json_safe
from caseflow.audit.services import record as audit
from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import CASE_DATA_ROLES, Role
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.imports.models import ImportRun
from caseflow.imports.records import Roster
from caseflow.imports.report import ImportReport, Where
from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStaff, IncidentStudent
from caseflow.people.models import District, Guardian, School, Student, StudentGuardian

CHUNK = 500  # ids per IN (...) list
IMPORT_ACCOUNT_NAME = "Data import"

Progress = Callable[[str, int], Any]  # (description, total) → an object with update(n) and close()


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _no_progress(_description: str, _total: int) -> _NoProgress:
    return _NoProgress()


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load(model, key, in_district, wanted: set[str]) -> list:
    """The district's rows of `model` whose `key` is in `wanted`: by chunks of ids when they are
    few against the district's rows (a delta), else the whole district in one query."""
    if not wanted:
        return []
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(in_district))
    if len(wanted) * 4 >= stored:
        return list(db.session.scalars(sa.select(model).where(in_district, key.is_not(None))))
    rows = []
    for chunk in _chunks(sorted(wanted)):
        rows += db.session.scalars(sa.select(model).where(in_district, key.in_(chunk))).all()
    return rows


def import_account(district: District) -> User:
    """The district's import account: the recorded reporter of imported incidents.

    It cannot sign in (inactive, no password, no role); it only says where a record came from.
    """
    slug = re.sub(r"[^a-z0-9-]+", "-", district.code.lower()).strip("-") or "district"
    email = f"imports@{slug}.caseflow.invalid"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(
            district_id=district.id,
            email=email,
            full_name=f"{IMPORT_ACCOUNT_NAME} ({district.code})",
            password_hash=None,
            active=False,
        )
        db.session.add(user)
        db.session.flush()
    return user


class _Writer:
    def __init__(self, roster: Roster, report: ImportReport, progress: Progress, now: datetime):
        self.roster = roster
        self.report = report
        self.progress = progress
        self.now = now
        self.created: dict[str, list[str]] = {}
        self.updated: dict[str, dict[str, dict]] = {}
        self.rejected_students: set[str] = set()

    # Bookkeeping -----------------------------------------------------------------------
    def _created(self, kind: str, key: str) -> None:
        self.report.count(kind, "created")
        self.created.setdefault(kind, []).append(key)

    def _apply(self, kind: str, key: str, obj: Any, values: dict[str, Any]) -> bool:
        """Set the given values (None = the source does not say: keep); count the outcome."""
        changes = {}
        for name, value in values.items():
            if value is None:
                continue
            old = getattr(obj, name)
            if old != value:
                changes[name] = {"before": json_safe(old), "after": json_safe(value)}
                setattr(obj, name, value)
        if changes:
            self.report.count(kind, "updated")
            self.updated.setdefault(kind, {})[key] = changes
        else:
            self.report.count(kind, "unchanged")
        return bool(changes)

    def _bar(self, description: str, items: list):
        bar = self.progress(description, len(items))
        try:
            for item in items:
                yield item
                bar.update(1)
        finally:
            bar.close()

    # Steps -----------------------------------------------------------------------------
    def district(self, code: str | None, time_zone: str) -> District | None:
        record = self.roster.district
        code = code or (record.code if record else None)
        if code is None:
            self.report.reject(
                "files", Where("-", "district"), "the files name no district; give --district CODE"
            )
            return None
        district = db.session.scalar(sa.select(District).where(District.code == code))
        if district is None:
            if record is None or record.code != code:
                self.report.reject(
                    "files",
                    Where("-", "district"),
                    f"no district with code {code!r}, and the files do not describe it",
                )
                return None
            district = District(code=code, name=record.name, time_zone=time_zone)
            db.session.add(district)
            db.session.flush()
            self.report.notes.append(f"District {code} ({record.name}) created, time zone {time_zone}.")
            self.created.setdefault("districts", []).append(code)
        self.district = district
        return district

    def schools(self) -> None:
        district = self.district
        self.school_by_code = {
            s.code: s for s in db.session.scalars(sa.select(School).where(School.district_id == district.id))
        }
        for record in self._bar("schools", self.roster.schools):
            school = self.school_by_code.get(record.code)
            values = {
                "name": record.name,
                "lowest_grade": record.lowest_grade,
                "highest_grade": record.highest_grade,
            }
            if school is None:
                school = School(
                    district_id=district.id, code=record.code, time_zone=district.time_zone, **values
                )
                db.session.add(school)
                self.school_by_code[record.code] = school
                self._created("schools", record.code)
            else:
                self._apply("schools", record.code, school, values)
        db.session.flush()

    def staff(self) -> None:
        district = self.district
        existing = {
            u.external_id: u
            for u in db.session.scalars(
                sa.select(User).where(User.district_id == district.id, User.external_id.is_not(None))
            )
        }
        emails = [r.email for r in self.roster.staff if r.email]
        taken: dict[str, int] = {}
        for chunk in _chunks(emails):
            taken.update(
                db.session.execute(sa.select(User.email, User.id).where(User.email.in_(chunk))).all()
            )
        self.user_by_external = dict(existing)
        for record in self._bar("staff", self.roster.staff):
            user = existing.get(record.external_id)
            if record.email is None and user is None:
                self.report.skip("staff", record.source, "no e-mail address: a Caseflow account needs one")
                continue
            owner = taken.get(record.email) if record.email else None
            if owner is not None and (user is None or owner != user.id):
                self.report.reject(
                    "staff", record.source, f"the e-mail address {record.email} belongs to another account"
                )
                continue
            schools = [self.school_by_code[c] for c in record.school_codes if c in self.school_by_code]
            held = {row.role for row in user.role_rows} if user is not None else set()
            roles = self._grantable_roles(record, held)
            if user is None:
                user = User(
                    district_id=district.id,
                    external_id=record.external_id,
                    email=record.email,
                    full_name=record.full_name,
                    password_hash=None,  # no usable password: set through a reset
                    district_wide=record.district_wide,
                )
                user.role_rows = [UserRole(role=r) for r in roles]
                user.schools = schools
                db.session.add(user)
                self.user_by_external[record.external_id] = user
                taken[record.email] = -1
                self._created("staff", record.external_id)
                continue
            changed = self._apply(
                "staff", record.external_id, user, {"full_name": record.full_name, "email": record.email}
            )
            # Roles and schools from the source are added, never taken away.
            new_roles = [r for r in roles if r not in held]
            new_schools = [s for s in schools if s not in user.schools]
            if new_roles or new_schools or (record.district_wide and not user.district_wide):
                user.role_rows += [UserRole(role=r) for r in new_roles]
                user.schools = list(user.schools) + new_schools
                user.district_wide = user.district_wide or record.district_wide
                extra = {"roles_added": new_roles, "schools_added": [s.code for s in new_schools]}
                if changed:
                    self.updated["staff"][record.external_id].update(extra)
                else:
                    self.report.count("staff", "unchanged", -1)
                    self.report.count("staff", "updated")
                    self.updated.setdefault("staff", {})[record.external_id] = extra
        db.session.flush()

    def _grantable_roles(self, record, held: set[str]) -> list[str]:
        """The roles of a staff record an import may grant: never a role that reads case data to
        a system administrator (who runs the roster source); another administrator grants it."""
        if Role.SYSTEM_ADMINISTRATOR.value not in held | set(record.roles):
            return list(record.roles)
        withheld = [r for r in record.roles if Role(r) in CASE_DATA_ROLES and r not in held]
        if withheld:
            self.report.notes.append(
                f"Staff {record.external_id}: {', '.join(withheld)} not granted to a system administrator "
                "by an import; another administrator grants a role that reads case data."
            )
        return [r for r in record.roles if r not in withheld]

    def students(self) -> None:
        district = self.district
        roster = self.roster
        wanted = {r.local_id for r in roster.students} | {r.student_local_id for r in roster.links}
        wanted |= {sid for r in roster.incidents for sid, _ in r.students}
        wanted |= {r.student_local_id for r in roster.discipline_actions}
        self.student_by_local = {
            s.local_id: s
            for s in _load(Student, Student.local_id, Student.district_id == district.id, wanted)
        }
        for record in self._bar("students", self.roster.students):
            student = self.student_by_local.get(record.local_id)
            school = None
            if record.school_code is not None:
                school = self.school_by_code.get(record.school_code)
                if school is None:
                    self.rejected_students.add(record.local_id)
                    self.report.reject(
                        "students",
                        record.source,
                        f"school {record.school_code} is neither in the district nor in the files",
                    )
                    continue
            elif student is None:
                self.rejected_students.add(record.local_id)
                self.report.reject(
                    "students",
                    record.source,
                    "no school: the files do not enroll this student in a school "
                    "(StudentSchoolAssociation); give --default-school CODE to place such students",
                )
                continue
            values = {
                "school_id": school.id if school else None,
                "first_name": record.first_name,
                "middle_name": record.middle_name,
                "last_name": record.last_name,
                "preferred_name": record.preferred_name,
                "birth_date": record.birth_date,
                "grade": record.grade,
                "sex": record.sex,
                "race_ethnicity": record.race_ethnicity,
                "idea_eligible": record.idea_eligible,
                "section_504": record.section_504,
                "english_learner": record.english_learner,
                "active": record.active,
            }
            if student is None:
                student = Student(
                    district_id=district.id,
                    local_id=record.local_id,
                    **{k: v for k, v in values.items() if v is not None},
                )
                db.session.add(student)
                self.student_by_local[record.local_id] = student
                self._created("students", record.local_id)
            else:
                self._apply("students", record.local_id, student, values)
            self._history_dates(student, record)
        db.session.flush()

    def _history_dates(self, student: Student, record) -> None:
        """The source's dates for the enrolment and program history a change writes."""
        from caseflow.roster.history import source_dates

        if record.enrolment_begin or record.enrolment_end:
            source_dates(db.session, student, "enrolment", record.enrolment_begin, record.enrolment_end)
        for program, (begin, end) in record.program_dates.items():
            source_dates(db.session, student, program, begin, end)

    def guardians(self) -> None:
        district = self.district
        wanted = {r.external_id for r in self.roster.guardians}
        wanted |= {r.guardian_external_id for r in self.roster.links}
        self.guardian_by_external = {
            g.external_id: g
            for g in _load(Guardian, Guardian.external_id, Guardian.district_id == district.id, wanted)
        }
        for record in self._bar("guardians", self.roster.guardians):
            guardian = self.guardian_by_external.get(record.external_id)
            values = {
                "first_name": record.first_name,
                "last_name": record.last_name,
                "phone": record.phone,
                "email": record.email,
            }
            if guardian is None:
                guardian = Guardian(district_id=district.id, external_id=record.external_id, **values)
                db.session.add(guardian)
                self.guardian_by_external[record.external_id] = guardian
                self._created("guardians", record.external_id)
            else:
                self._apply("guardians", record.external_id, guardian, values)
        db.session.flush()

    def links(self) -> None:
        student_ids = [s.id for s in self.student_by_local.values()]
        existing: dict[tuple[int, int], StudentGuardian] = {}
        for chunk in _chunks(student_ids):
            for link in db.session.scalars(
                sa.select(StudentGuardian).where(StudentGuardian.student_id.in_(chunk))
            ):
                existing[(link.student_id, link.guardian_id)] = link
        primary_of: dict[int, int] = {
            sid: gid for (sid, gid), link in existing.items() if link.is_primary_contact
        }
        to_clear, to_set = [], []
        for record in self._bar("guardian links", self.roster.links):
            student = self.student_by_local.get(record.student_local_id)
            guardian = self.guardian_by_external.get(record.guardian_external_id)
            if student is None:
                why = (
                    "was rejected"
                    if record.student_local_id in self.rejected_students
                    else "is not in the files"
                )
                self.report.reject(
                    "guardian_links", record.source, f"student {record.student_local_id} {why}"
                )
                continue
            if guardian is None:
                self.report.reject(
                    "guardian_links",
                    record.source,
                    f"contact {record.guardian_external_id} is not in the files",
                )
                continue
            key = f"{record.student_local_id}/{record.guardian_external_id}"
            link = existing.get((student.id, guardian.id))
            if record.is_primary_contact:
                if link is not None and link.legal_restriction == "no_contact":
                    self.report.reject(
                        "guardian_links",
                        record.source,
                        "a no-contact order is on file for this guardian and student: "
                        "never the primary contact",
                    )
                    continue
                current = primary_of.get(student.id)
                if current is not None and current != guardian.id:
                    other = next(
                        (
                            r
                            for r in self.roster.links
                            if r.student_local_id == record.student_local_id
                            and r.is_primary_contact is not None
                            and self.guardian_by_external.get(r.guardian_external_id) is not None
                            and self.guardian_by_external[r.guardian_external_id].id == current
                        ),
                        None,
                    )
                    if other is None or other.is_primary_contact:
                        self.report.reject(
                            "guardian_links",
                            record.source,
                            f"student {record.student_local_id} already has another primary contact",
                        )
                        continue
                primary_of[student.id] = guardian.id
            values = {
                "relationship_code": record.relationship,
                "lives_with": record.lives_with,
            }
            if link is None:
                link = StudentGuardian(
                    student=student,
                    guardian=guardian,
                    is_primary_contact=False,
                    lives_with=bool(record.lives_with),
                    relationship_code=record.relationship,
                )
                db.session.add(link)
                existing[(student.id, guardian.id)] = link
                self._created("guardian_links", key)
                if record.is_primary_contact:
                    to_set.append(link)
                continue
            if record.is_primary_contact is False and link.is_primary_contact:
                to_clear.append(link)
                if primary_of.get(student.id) == guardian.id:
                    del primary_of[student.id]
            elif record.is_primary_contact and not link.is_primary_contact:
                to_set.append(link)
            before = self.report.counts["guardian_links"]["updated"]
            self._apply("guardian_links", key, link, values)
            flips = (
                record.is_primary_contact is not None
                and bool(record.is_primary_contact) != link.is_primary_contact
            )
            if flips:
                entry = self.updated.setdefault("guardian_links", {}).setdefault(key, {})
                entry["is_primary_contact"] = {
                    "before": link.is_primary_contact,
                    "after": record.is_primary_contact,
                }
                if self.report.counts["guardian_links"]["updated"] == before:
                    self.report.count("guardian_links", "unchanged", -1)
                    self.report.count("guardian_links", "updated")
        # Clear first, then set: the one-primary index never sees two at once.
        for link in to_clear:
            link.is_primary_contact = False
        db.session.flush()
        for link in to_set:
            link.is_primary_contact = True
        db.session.flush()

    def incidents(self, taxonomy_version: str) -> None:
        district = self.district
        existing = {
            i.external_id: i
            for i in db.session.scalars(
                sa.select(Incident).where(
                    Incident.district_id == district.id, Incident.external_id.is_not(None)
                )
            )
        }
        reporter = None
        dropped_staff = 0
        for record in self._bar("incidents", self.roster.incidents):
            school = self.school_by_code.get(record.school_code)
            if school is None:
                self.report.reject(
                    "incidents",
                    record.source,
                    f"school {record.school_code} is neither in the district nor in the files",
                )
                continue
            missing = [sid for sid, _ in record.students if sid not in self.student_by_local]
            if missing:
                why = [
                    f"{m} ({'was rejected' if m in self.rejected_students else 'not in the files'})"
                    for m in missing
                ]
                self.report.reject("incidents", record.source, f"unknown student(s): {', '.join(why)}")
                continue
            staff_ids = []
            for external in record.staff_external_ids:
                user = self.user_by_external.get(external)
                if user is None:
                    dropped_staff += 1
                else:
                    staff_ids.append(user.id)
            local = datetime.combine(
                record.occurred_on, record.occurred_time or time(0), ZoneInfo(school.time_zone)
            )
            # The staff member the source names as the reporter, when imported; otherwise the
            # district's import account.
            reported_by = self.user_by_external.get(record.reporter_external_id or "")
            if reported_by is None:
                if reporter is None:
                    reporter = import_account(district)
                reported_by = reporter
            state = {
                "school_id": school.id,
                "occurred_at": local,
                "location_code": record.location_code,
                "description": record.description,
                "weapon_code": record.weapon_code,
                "reported_by_id": reported_by.id,
                # Facts of the source, kept and exported again; never an escalation.
                "reported_to_law_enforcement": record.reported_to_law_enforcement,
                "law_enforcement_case_number": record.case_number,
                "reporter_name": record.reporter_name,
                "edfi_behaviors": record.edfi_behaviors,
            }
            students = [
                (self.student_by_local[sid], role, record.student_behaviors.get(sid))
                for sid, role in record.students
            ]
            incident = existing.get(record.external_id)
            if incident is None:
                incident = Incident(
                    district_id=district.id,
                    external_id=record.external_id,
                    status="resolved",  # history: never triaged
                    reported_at=self.now,
                    updated_at=self.now,
                    taxonomy_version=taxonomy_version,
                    injury="none",
                    threat_made=False,
                    **state,
                )
                incident.behaviors = [
                    IncidentBehavior(behavior_code=c, position=i) for i, c in enumerate(record.behaviors)
                ]
                incident.students = [
                    IncidentStudent(student=s, role=role, edfi_behaviors=behaviors)
                    for s, role, behaviors in students
                ]
                incident.staff = [IncidentStaff(user_id=u) for u in dict.fromkeys(staff_ids)]
                db.session.add(incident)
                existing[record.external_id] = incident
                self._created("incidents", record.external_id)
                continue
            changed = self._apply("incidents", record.external_id, incident, state)
            extra = {}
            if incident.behavior_codes != record.behaviors:
                extra["behaviors"] = {"before": incident.behavior_codes, "after": record.behaviors}
                incident.behaviors = []
                db.session.flush()
                incident.behaviors = [
                    IncidentBehavior(behavior_code=c, position=i) for i, c in enumerate(record.behaviors)
                ]
            old_students = sorted((s.student_id, s.role, s.edfi_behaviors or []) for s in incident.students)
            new_students = sorted((s.id, role, behaviors or []) for s, role, behaviors in students)
            if old_students != new_students:
                extra["students"] = {
                    "before": [row[:2] for row in old_students],
                    "after": [row[:2] for row in new_students],
                }
                by_id = {s.student_id: s for s in incident.students}
                rows = []
                for student, role, behaviors in students:
                    row = by_id.get(student.id) or IncidentStudent(student=student)
                    row.role = role
                    row.edfi_behaviors = behaviors
                    rows.append(row)
                incident.students = rows
            old_staff = sorted(s.user_id for s in incident.staff)
            if old_staff != sorted(set(staff_ids)):
                extra["staff_ids"] = {"before": old_staff, "after": sorted(set(staff_ids))}
                incident.staff = []
                db.session.flush()
                incident.staff = [IncidentStaff(user_id=u) for u in dict.fromkeys(staff_ids)]
            if extra:
                if changed:
                    self.updated["incidents"][record.external_id].update(extra)
                else:
                    self.report.count("incidents", "unchanged", -1)
                    self.report.count("incidents", "updated")
                    self.updated.setdefault("incidents", {})[record.external_id] = extra
            if changed or extra:
                incident.updated_at = self.now
        if dropped_staff:
            self.report.notes.append(
                f"{dropped_staff} staff link(s) of incidents left out: those staff members were not imported."
            )
        db.session.flush()
        self.incident_by_external = existing

    def discipline_actions(self) -> None:
        """Disciplinary actions, matched on the source's key; linked to their incident when the
        source names it. Only what a school decided is kept: nothing here opens a case or
        involves anyone."""
        from caseflow.discipline.models import DisciplineAction

        district = self.district
        existing = {
            a.external_id: a
            for a in db.session.scalars(
                sa.select(DisciplineAction).where(
                    DisciplineAction.district_id == district.id, DisciplineAction.external_id.is_not(None)
                )
            )
        }
        incidents = getattr(self, "incident_by_external", {})
        for record in self._bar("disciplinary actions", self.roster.discipline_actions):
            school = self.school_by_code.get(record.school_code)
            student = self.student_by_local.get(record.student_local_id)
            incident = incidents.get(record.incident_external_id) if record.incident_external_id else None
            problem = None
            if school is None:
                problem = f"school {record.school_code} is neither in the district nor in the files"
            elif student is None:
                problem = f"unknown student {record.student_local_id}"
            elif record.incident_external_id and incident is None:
                problem = (
                    f"incident {record.incident_external_id} is neither in the district nor in the files"
                )
            if problem:
                self.report.reject("discipline_actions", record.source, problem)
                continue
            state = {
                "school_id": school.id,
                "student_id": student.id,
                "incident_id": incident.id if incident is not None else None,
                "action_code": record.action_code,
                "action_date": record.action_date,
                "length_days": record.length_days,
                "actual_length_days": record.actual_length_days,
                "note": record.note,
            }
            action = existing.get(record.external_id)
            if action is None:
                action = DisciplineAction(
                    district_id=district.id, external_id=record.external_id, recorded_at=self.now, **state
                )
                db.session.add(action)
                existing[record.external_id] = action
                self._created("discipline_actions", record.external_id)
            else:
                self._apply("discipline_actions", record.external_id, action, state)
        db.session.flush()


def write_roster(
    roster: Roster,
    report: ImportReport,
    *,
    district_code: str | None = None,
    time_zone: str = "America/Chicago",
    progress: Progress | None = None,
    now: datetime | None = None,
) -> _Writer:
    """Match and write every record of `roster` in the current transaction (flushed, never
    committed); the writer returned knows the district (None if it could not be found) and
    what was created and updated."""
    from caseflow.roster.history import HISTORY_DAY

    now = now or now_utc()
    writer = _Writer(roster, report, progress or _no_progress, now)
    district = writer.district(district_code, time_zone)
    if district is None:
        writer.district = None
        return writer
    own_day = HISTORY_DAY not in db.session.info
    if own_day:
        db.session.info[HISTORY_DAY] = now.astimezone(ZoneInfo(district.time_zone)).date()
    try:
        writer.schools()
        writer.staff()
        writer.students()
        writer.guardians()
        writer.links()
        writer.incidents(roster.taxonomy_version or "")
        writer.discipline_actions()
    finally:
        if own_day:
            db.session.info.pop(HISTORY_DAY, None)
    return writer


def import_roster(
    roster: Roster,
    report: ImportReport,
    *,
    district_code: str | None = None,
    time_zone: str = "America/Chicago",
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Write `roster` for the district, all or nothing (see the module docstring); returns `report`.

    The report's `dry_run` and `accept_partial` say how the run ends. Commits or rolls back
    itself; the caller must not hold uncommitted changes.
    """
    now = now or now_utc()
    try:
        writer = write_roster(
            roster, report, district_code=district_code, time_zone=time_zone, progress=progress, now=now
        )
        district = writer.district
        keep = district is not None and not report.dry_run and (report.ok or report.accept_partial)
        if keep:
            run = _run_row(report, district.id if district else None, "committed", now)
            db.session.add(run)
            db.session.flush()
            audit(
                None,
                f"import.{report.source_format}",
                run,
                now=now,
                changes={
                    "source": report.source,
                    "counts": report.counts,
                    "created": writer.created,
                    "updated": writer.updated,
                    "rejected": [p.as_json() for p in report.rejects],
                },
            )
            db.session.commit()
            report.committed = True
            report.run_id = run.id
            return report
        db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    if not report.dry_run:
        _record_refusal(report, district_code, now)
    return report


def _run_row(report: ImportReport, district_id: int | None, outcome: str, now: datetime) -> ImportRun:
    return ImportRun(
        district_id=district_id,
        source_format=report.source_format,
        source=report.source[:500],
        outcome=outcome,
        accept_partial=report.accept_partial,
        started_at=now,
        finished_at=now_utc(),
        counts=report.counts,
        rejects=[p.as_json() for p in report.rejects],
        skipped=[p.as_json() for p in report.skipped],
    )


def _record_refusal(report: ImportReport, district_code: str | None, now: datetime) -> None:
    """A refused import keeps only its own record (for the administrators' page) and audit event."""
    try:
        district_id = None
        if district_code:
            district_id = db.session.scalar(sa.select(District.id).where(District.code == district_code))
        run = _run_row(report, district_id, "refused", now)
        db.session.add(run)
        db.session.flush()
        audit(
            None,
            f"import.{report.source_format}.refused",
            run,
            now=now,
            changes={"source": report.source, "rejected": len(report.rejects)},
        )
        db.session.commit()
        report.run_id = run.id
    except BaseException:
        db.session.rollback()
        raise


def run_edfi_import(
    path,
    *,
    district_code: str | None = None,
    default_school: str | None = None,
    time_zone: str = "America/Chicago",
    dry_run: bool = False,
    accept_partial: bool = False,
    as_of=None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read an Ed-Fi folder and write it (see `import_roster`). `as_of`: the day program
    associations are judged current on (today by default)."""
    from caseflow.imports.edfi import parse_edfi
    from caseflow.imports.mapping import get_edfi_mapping
    from caseflow.incidents.taxonomy import get_taxonomy

    now = now or now_utc()
    report = ImportReport("edfi", str(path), dry_run=dry_run, accept_partial=accept_partial)
    roster = parse_edfi(
        path,
        report,
        get_edfi_mapping(),
        get_taxonomy(),
        as_of=as_of or now.date(),
        default_school=default_school,
    )
    return import_roster(
        roster, report, district_code=district_code, time_zone=time_zone, progress=progress, now=now
    )


def run_oneroster_import(
    path,
    *,
    district_code: str | None = None,
    time_zone: str = "America/Chicago",
    dry_run: bool = False,
    accept_partial: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read a OneRoster 1.1 CSV folder or zip and write it (see `import_roster`)."""
    from caseflow.imports.oneroster import parse_oneroster

    report = ImportReport("oneroster", str(path), dry_run=dry_run, accept_partial=accept_partial)
    roster = parse_oneroster(path, report)
    return import_roster(
        roster, report, district_code=district_code, time_zone=time_zone, progress=progress, now=now
    )
