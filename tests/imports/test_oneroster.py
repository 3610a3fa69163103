"""OneRoster 1.1 CSV import: a roster folder or zip, re-import, leniency with a BOM and header
case, strict rejection of real errors (each reason), all or nothing and dry run."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.audit.services import verify_chain
from caseflow.auth.models import User
from caseflow.imports.models import ImportRun
from caseflow.imports.services import run_oneroster_import
from caseflow.people.models import District, Guardian, School, Student, StudentGuardian

ROSTER = Path(__file__).resolve().parent / "fixtures" / "oneroster"


def _count(model, *where) -> int:
    from caseflow.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "roster"
    shutil.copytree(ROSTER, target)
    return target


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8-sig")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_roster_imports_and_again_changes_nothing(db_session):
    report = run_oneroster_import(ROSTER)
    assert report.committed, report.describe()
    assert db_session.scalar(sa.select(District.name)) == "Maple Valley School District"
    assert _count(School) == 2
    assert _count(Student) == 3
    assert _count(Guardian) == 3
    assert _count(StudentGuardian) == 3
    ava = db_session.scalar(sa.select(Student).where(Student.local_id == "S-1001"))
    assert (ava.school.code, ava.grade, ava.sex, ava.race_ethnicity) == ("MV-ES", "3", "F", "WH")
    assert str(ava.birth_date) == "2017-03-14" and ava.middle_name == "Marie"
    ben = db_session.scalar(sa.select(Student).where(Student.local_id == "S-1002"))
    assert ben.race_ethnicity == "TR"  # two races marked
    assert sorted(link.relationship_code for link in ben.guardian_links) == ["legal_guardian", "relative"]
    cai = db_session.scalar(sa.select(Student).where(Student.local_id == "S-1003"))
    assert (cai.sex, cai.race_ethnicity, cai.birth_date) == (None, None, None)  # no demographics row
    teacher = db_session.scalar(sa.select(User).where(User.email == "rpatel@mvsd.example.org"))
    assert [s.code for s in teacher.schools] == ["MV-ES"] and teacher.roles == {"teacher"}
    assert teacher.password_hash is None

    again = run_oneroster_import(ROSTER)
    assert again.committed
    assert again.total("created") == 0 and again.total("updated") == 0
    assert (_count(Student), _count(Guardian), _count(StudentGuardian)) == (3, 3, 3)
    assert verify_chain().ok


def test_a_zip_is_read_like_a_folder(db_session, tmp_path):
    archive = tmp_path / "roster.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in ROSTER.iterdir():
            out.write(file, f"export/{file.name}")
    report = run_oneroster_import(archive)
    assert report.committed, report.describe()
    assert _count(Student) == 3


def test_byte_order_mark_and_header_case_and_spaces_are_accepted(db_session, tmp_path):
    folder = _copy(tmp_path)
    users = folder / "users.csv"
    header, rest = users.read_text().split("\n", 1)
    header = ",".join(f" {name.upper()} " for name in header.split(","))
    users.write_bytes("\ufeff".encode() + f"{header}\n{rest}".encode())
    orgs = folder / "orgs.csv"
    orgs.write_bytes(b"\xef\xbb\xbf" + orgs.read_bytes().replace(b"sourcedId", b"SourcedID"))
    report = run_oneroster_import(folder)
    assert report.committed, report.describe()
    assert _count(Student) == 3


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        (
            "users.csv",
            "givenName,familyName",
            "firstName,familyName",
            "missing required column(s): givenName",
        ),
        (
            "users.csv",
            "u-s1,active,2025-08-01T00:00:00Z,true,org-es,",
            "u-s1,active,2025-08-01T00:00:00Z,true,org-xx,",
            "orgSourcedIds org-xx: not in orgs.csv",
        ),
        (
            "enrollments.csv",
            "e-3,active,2025-08-01T00:00:00Z,c-2,org-hs",
            "e-3,active,2025-08-01T00:00:00Z,c-2,org-zz",
            "schoolSourcedId 'org-zz' is not a school of orgs.csv",
        ),
        ("demographics.csv", "2017-03-14", "14/03/2017", "birthDate '14/03/2017' is not a date"),
        (
            "enrollments.csv",
            "2025-08-20,2026-06-05",
            "2025-08-20,2026-02-30",
            "endDate '2026-02-30' is not a date",
        ),
        ("users.csv", "u-s3,active", "u-s2,active", "duplicate sourcedId 'u-s2' (first at line 3)"),
        ("users.csv", ",student,ava,", ",pupil,ava,", "role 'pupil' is not one of"),
        ("demographics.csv", "2017-03-14,female", "2017-03-14,unknown", "sex 'unknown' is not one of"),
        ("users.csv", 'u-p1",10', 'u-p9",10', "agentSourcedIds 'u-p9' is not in users.csv"),
    ],
)
def test_real_errors_are_rejected_with_file_line_and_reason(db_session, tmp_path, file, old, new, reason):
    folder = _copy(tmp_path)
    if file == "users.csv" and old == 'u-p1",10':
        old, new = '"u-p2,u-p3",10', '"u-p2,u-p9",10'
    _edit(folder, file, old, new)
    report = run_oneroster_import(folder)
    assert not report.committed
    problems = [p for p in report.rejects if reason in p.reason]
    assert problems, report.describe()
    assert problems[0].source.file == file
    assert problems[0].source.where.startswith("line ")
    for model in (School, Student, Guardian, StudentGuardian):
        assert _count(model) == 0, model.__name__
    assert _count(User, User.external_id.is_not(None)) == 0
    assert db_session.scalar(sa.select(ImportRun.outcome)) == "refused"


def test_a_missing_file_is_rejected(db_session, tmp_path):
    folder = _copy(tmp_path)
    (folder / "enrollments.csv").unlink()
    report = run_oneroster_import(folder)
    assert any(p.source.file == "enrollments.csv" and "missing" in p.reason for p in report.rejects)
    assert _count(Student) == 0


def test_accept_partial_keeps_the_good_rows(db_session, tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "users.csv", ",student,ava,", ",pupil,ava,")
    report = run_oneroster_import(folder, accept_partial=True)
    assert report.committed
    assert _count(Student) == 2
    # Ava's guardian is kept; the link to the rejected student is rejected with her.
    assert [p.kind for p in report.rejects] == ["students"]
    assert "accepted rows only" in report.describe()


def test_dry_run_writes_nothing(db_session):
    report = run_oneroster_import(ROSTER, dry_run=True)
    assert report.counts["students"]["created"] == 3
    assert (_count(District), _count(Student), _count(ImportRun)) == (0, 0, 0)


def test_the_command(app, tmp_path):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "oneroster", str(ROSTER), "--dry-run"])
    assert dry.exit_code == 0 and "dry run: nothing written" in dry.output
    folder = _copy(tmp_path)
    _edit(folder, "demographics.csv", "2017-03-14", "2017-02-30")
    refused = runner.invoke(args=["import", "oneroster", str(folder)])
    assert refused.exit_code == 1
    assert "demographics.csv, line 2: birthDate '2017-02-30' is not a date (YYYY-MM-DD)" in refused.output
    partial = runner.invoke(args=["import", "oneroster", str(folder), "--accept-partial"])
    assert partial.exit_code == 0, partial.output


def test_an_import_never_grants_a_system_administrator_a_role_that_reads_case_data(db_session):
    from caseflow.auth.models import UserRole

    assert run_oneroster_import(ROSTER).committed
    moss = db_session.scalar(sa.select(User).where(User.email == "jmoss@mvsd.example.org"))
    assert moss.roles == {"administrator"}
    moss.role_rows = [UserRole(role="system_administrator")]  # now runs the system, and the roster
    db_session.commit()
    again = run_oneroster_import(ROSTER)
    assert again.committed
    assert any("administrator not granted to a system administrator" in n for n in again.notes)
    db_session.expire_all()
    assert db_session.get(User, moss.id).roles == {"system_administrator"}


def test_imported_names_are_searchable(db_session):
    assert run_oneroster_import(ROSTER).committed
    ava = db_session.scalar(sa.select(Student).where(Student.local_id == "S-1001"))
    assert ava.search_name.split() == ["ava", "marie", "lindqvist", "lindqvistava", "avalindqvist"]
