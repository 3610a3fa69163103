"""Ed-Fi XML import: the Grand Bend sample whole, re-import, history without triage or
escalation, rejected elements with their reasons, all or nothing, dry run, the command."""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as StdET
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.audit.services import verify_chain
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.discipline.models import DisciplineAction
from caseflow.escalations.models import Escalation
from caseflow.imports.models import ImportRun
from caseflow.imports.services import run_edfi_import
from caseflow.incidents.models import Incident
from caseflow.notifications.models import Notification
from caseflow.people.models import Guardian, School, Student, StudentGuardian
from caseflow.triage.models import TriageDecision
from tests.exports.descriptors import sample_dir

REPO = Path(__file__).resolve().parents[2]
GRAND_BEND = sample_dir()  # beside the repository, or EDFI_SAMPLE_DIR
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICE = FIXTURES / "edfi_police"
NS = "{http://ed-fi.org/5.2.0}"
AS_OF = date(2026, 1, 1)


def _count(model, *where) -> int:
    from caseflow.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _xml_count(file: str, tag: str) -> int:
    return len(StdET.parse(GRAND_BEND / file).getroot().findall(NS + tag))


@pytest.fixture
def grand_bend():
    if not GRAND_BEND.is_dir():
        pytest.skip(f"the Ed-Fi Grand Bend sample is not at {GRAND_BEND} (it ships beside the repository)")
    return GRAND_BEND


def _copy(tmp_path: Path, source: Path = POLICE) -> Path:
    target = tmp_path / "edfi"
    shutil.copytree(source, target)
    return target


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def test_grand_bend_imports_whole_and_again_changes_nothing(db_session, grand_bend):
    links_in_xml = _xml_count("Contact.xml", "StudentContactAssociation")
    assert links_in_xml == 1872

    started = time.monotonic()
    report = run_edfi_import(grand_bend, default_school="255901001", as_of=AS_OF)
    elapsed = time.monotonic() - started
    assert report.committed, report.describe()
    assert report.rejects == []
    assert elapsed < 60, f"the import took {elapsed:.1f}s"

    assert _count(School) == 3
    assert _count(Student) == 960
    assert _count(Guardian) == 1873
    assert _count(StudentGuardian) == links_in_xml
    assert _count(StudentGuardian, StudentGuardian.is_primary_contact) == 881
    assert _count(Incident) == 21
    assert _count(Incident, Incident.status == "resolved", Incident.external_id.is_not(None)) == 21
    # The 25 disciplinary actions (one discipline each), each linked to its incident.
    assert _xml_count("StudentDiscipline.xml", "DisciplineAction") == 25
    assert _count(DisciplineAction) == 25
    assert _count(DisciplineAction, DisciplineAction.incident_id.is_not(None)) == 25
    assert _count(DisciplineAction, DisciplineAction.action_code == "In School Suspension") > 0
    # Current (no EndDate) program associations: 97 special education of which 32 ended,
    # 3 Section 504, 38 language instruction of which 13 ended.
    assert _count(Student, Student.idea_eligible) == 65
    assert _count(Student, Student.section_504) == 3
    assert _count(Student, Student.english_learner) == 25
    # Nothing the files do not hold is invented.
    assert _count(Student, Student.sex.is_not(None)) == 0
    assert _count(Student, Student.race_ethnicity.is_not(None)) == 0
    assert _count(Student, Student.grade.is_not(None)) == 0
    # Staff with an e-mail address become accounts without a usable password.
    assert report.counts["staff"]["created"] == 18 and report.counts["staff"]["skipped"] == 50
    assert _count(User, User.external_id.is_not(None), User.password_hash.is_not(None)) == 0
    # History only: nothing triaged, no case, no notification, no escalation.
    for model in (TriageDecision, Case, Notification, Escalation):
        assert _count(model) == 0, model.__name__
    assert verify_chain().ok

    again = run_edfi_import(grand_bend, default_school="255901001", as_of=AS_OF)
    assert again.committed and again.rejects == []
    assert again.total("created") == 0
    assert again.total("updated") == 0
    assert again.counts["students"]["unchanged"] == 960
    assert again.counts["guardian_links"]["unchanged"] == links_in_xml
    assert (_count(Student), _count(Guardian), _count(StudentGuardian), _count(Incident)) == (
        960,
        1873,
        links_in_xml,
        21,
    )
    assert _count(DisciplineAction) == 25 and again.counts["discipline_actions"]["unchanged"] == 25
    assert _count(ImportRun, ImportRun.outcome == "committed") == 2
    assert verify_chain().ok


def test_a_police_referral_in_the_files_creates_no_escalation(db_session):
    report = run_edfi_import(POLICE, as_of=AS_OF)
    assert report.committed, report.describe()

    incident = db_session.scalar(sa.select(Incident))
    assert incident.status == "resolved"
    assert incident.weapon_code == "Handgun"
    assert incident.behavior_codes == ["other_major"]
    assert sorted((s.student.local_id, s.role) for s in incident.students) == [
        ("7001", "responsible"),
        ("7002", "witness"),
    ]
    assert "reported to law enforcement (case number 2025-44871)" in incident.description
    # Kept as a fact, exported again and counted as a historical referral of Rowan (7001),
    # never as an escalation (caseflow.reports.referrals).
    assert incident.reported_to_law_enforcement is True
    assert incident.law_enforcement_case_number == "2025-44871"
    assert incident.reported_by.active is False and incident.reported_by.password_hash is None
    assert _count(Escalation) == 0
    assert _count(TriageDecision) == 0
    assert _count(Case) == 0
    # The source's "removal by law enforcement" is kept as what it is, a disciplinary action
    # outside the Ed-Fi list: "Other", with the source's words; it is no escalation.
    from caseflow.extensions import db

    [action] = db.session.scalars(sa.select(DisciplineAction)).all()
    assert action.action_code == "Other" and "Removal by Law Enforcement Officer" in action.note
    assert action.incident_id is None  # the source does not link it to the incident
    assert _count(Notification) == 0
    # Enrollment gives the school and the grade; the school's grades come from its levels.
    rowan = db_session.scalar(sa.select(Student).where(Student.local_id == "7001"))
    assert (rowan.school.code, rowan.grade) == ("900100001", "7")
    assert (rowan.school.lowest_grade, rowan.school.highest_grade) == ("6", "8")
    link = rowan.guardian_links[0]
    assert (link.relationship_code, link.is_primary_contact, link.lives_with) == ("mother", True, True)
    assert link.guardian.phone == "(555) 010-4242"


def test_dry_run_reports_everything_and_writes_nothing(db_session):
    report = run_edfi_import(POLICE, dry_run=True, as_of=AS_OF)
    assert not report.committed
    assert report.counts["students"]["created"] == 2
    assert report.counts["incidents"]["created"] == 1
    assert "dry run" in report.describe()
    for model in (Student, Incident, School, ImportRun):
        assert _count(model) == 0, model.__name__


@pytest.mark.parametrize(
    ("file", "old", "new", "kind", "reason"),
    [
        ("Student.xml", "<BirthDate>2012-05-02", "<BirthDate>2012-13-02", "students", "is not a date"),
        (
            "Student.xml",
            "<StudentUniqueId>7002</StudentUniqueId>",
            "",
            "students",
            "StudentUniqueId is missing",
        ),
        ("Student.xml", "<StudentUniqueId>7002<", "<StudentUniqueId>7001<", "students", "appears twice"),
        (
            "StudentDiscipline.xml",
            "BehaviorDescriptor#State Offense</Behavior>\n    </Behavior>",
            "BehaviorDescriptor#Loitering</Behavior>\n    </Behavior>",
            "incidents",
            "Behavior 'Loitering' has no mapping",
        ),
        (
            "StudentDiscipline.xml",
            "IncidentLocationDescriptor#Parking lot",
            "IncidentLocationDescriptor#Moon base",
            "incidents",
            "IncidentLocation 'Moon base' is not in workflows/codes.yaml",
        ),
        ("Contact.xml", 'ref="PRNT_8001"', 'ref="PRNT_9999"', "guardian_links", "is not in the files"),
        (
            "Contact.xml",
            "RelationDescriptor#Mother",
            "RelationDescriptor#Neighbour",
            "guardian_links",
            "Relation 'Neighbour' has no mapping",
        ),
        (
            "StudentEnrollment.xml",
            "<SchoolId>900100001</SchoolId></SchoolIdentity></SchoolReference>\n    <EntryDate>",
            "<SchoolId>555</SchoolId></SchoolIdentity></SchoolReference>\n    <EntryDate>",
            "students",
            "school 555 is neither in the district nor in the files",
        ),
    ],
)
def test_a_rejected_element_is_reported_and_nothing_is_kept(
    db_session, tmp_path, file, old, new, kind, reason
):
    folder = _copy(tmp_path)
    _edit(folder, file, old, new)
    report = run_edfi_import(folder, as_of=AS_OF)
    assert not report.committed
    problems = [p for p in report.rejects if p.kind == kind and reason in p.reason]
    assert problems, report.describe()
    # A student whose enrollment names an unknown school is reported at the student itself.
    assert problems[0].source.file == ("Student.xml" if file == "StudentEnrollment.xml" else file)
    assert "#" in problems[0].source.where  # the element and its position
    for model in (School, Student, Guardian, Incident, StudentGuardian):
        assert _count(model) == 0, model.__name__
    run = db_session.scalar(sa.select(ImportRun))
    assert run.outcome == "refused" and run.rejects
    assert verify_chain().ok


def test_a_file_that_fails_halfway_keeps_nothing_unless_partial_is_asked(db_session, tmp_path):
    folder = _copy(tmp_path)
    # The last element of the last file is broken: everything before it was fine.
    _edit(
        folder,
        "StudentDiscipline.xml",
        "<IncidentDate>2025-10-07</IncidentDate>",
        "<IncidentDate>07/10/2025</IncidentDate>",
    )
    refused = run_edfi_import(folder, as_of=AS_OF)
    assert not refused.committed
    assert [p.kind for p in refused.rejects] == ["incidents", "incidents", "incidents"]
    assert (_count(Student), _count(Guardian), _count(Incident)) == (0, 0, 0)

    partial = run_edfi_import(folder, accept_partial=True, as_of=AS_OF)
    assert partial.committed
    assert (_count(Student), _count(Guardian), _count(Incident)) == (2, 1, 0)
    assert "accepted rows only" in partial.describe()


def test_xml_that_is_not_well_formed_is_rejected_with_its_line(db_session, tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "Student.xml", "</Student>\n  <Student>", "</Student>\n  <Student")
    report = run_edfi_import(folder, as_of=AS_OF)
    assert not report.committed
    assert any(
        p.kind == "files" and p.source.file == "Student.xml" and "not well-formed" in p.reason
        for p in report.rejects
    )


def test_entities_are_refused(db_session, tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder,
        "Student.xml",
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    )
    report = run_edfi_import(folder, as_of=AS_OF)
    assert any(p.kind == "files" and p.source.file == "Student.xml" for p in report.rejects)
    assert _count(Student) == 0


def test_reimport_updates_changed_values_in_place(db_session, tmp_path):
    folder = _copy(tmp_path)
    assert run_edfi_import(folder, as_of=AS_OF).committed
    _edit(folder, "Student.xml", "<FirstName>Rowan</FirstName>", "<FirstName>Rowen</FirstName>")
    _edit(folder, "Contact.xml", "<PrimaryContactStatus>true", "<PrimaryContactStatus>false")
    report = run_edfi_import(folder, as_of=AS_OF)
    assert report.committed
    assert report.counts["students"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
        "skipped": 0,
    }
    assert report.counts["guardian_links"]["updated"] == 1
    assert _count(Student) == 2
    rowan = db_session.scalar(sa.select(Student).where(Student.local_id == "7001"))
    assert rowan.first_name == "Rowen"
    assert rowan.guardian_links[0].is_primary_contact is False
    event = db_session.execute(
        sa.text("SELECT changes FROM audit_events ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert "Rowen" in str(event)
    assert verify_chain().ok


def test_the_command_shows_the_report_and_fails_when_refused(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "edfi", str(POLICE), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing written" in result.output
    assert "students" in result.output

    folder = _copy(tmp_path)
    _edit(folder, "Student.xml", "<BirthDate>2012-05-02", "<BirthDate>someday")
    refused = runner.invoke(args=["import", "edfi", str(folder)])
    assert refused.exit_code == 1
    assert (
        "Student.xml, <Student> #1 (StudentUniqueId 7001): BirthData/BirthDate 'someday' is not a date"
        in (refused.output)
    )

    done = runner.invoke(args=["import", "edfi", str(POLICE)])
    assert done.exit_code == 0, done.output
    assert "committed" in done.output
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
