"""A drop folder (what an SFTP upload leaves): the newest settled OneRoster zip, or Ed-Fi XML
interchanges; a file still arriving is not read. The `flask roster` commands."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.people.models import Student
from caseflow.roster.models import RosterSource, SyncRun

ONEROSTER = Path(__file__).resolve().parents[1] / "imports" / "fixtures" / "oneroster"
EDFI = Path(__file__).resolve().parents[1] / "imports" / "fixtures" / "edfi_police"


def _zip(target: Path, *, age: float = 600) -> Path:
    with zipfile.ZipFile(target, "w") as out:
        for file in ONEROSTER.iterdir():
            out.write(file, file.name)
    then = time.time() - age
    os.utime(target, (then, then))
    return target


def _drop_source(app, make, folder: Path, code: str = "MVSD") -> int:
    from caseflow.roster.services import save_source

    district_id = make.district(code, "Maple Valley School District")
    with app.app_context(), transaction():
        save_source(
            actor=None,
            district_id=district_id,
            values={
                "kind": "drop_folder",
                "drop_path": str(folder),
                "base_url": None,
                "token_url": None,
                "client_id": None,
                "secret_env": None,
                "delta": False,
                "full_sync_weekday": "sunday",
                "safety_percent": 5,
                "enabled": True,
            },
        )
    return district_id


def _run(app):
    from caseflow.roster.sync import build_run, execute

    with app.app_context():
        source = db.session.scalar(sa.select(RosterSource))
        run = build_run(source, mode="sync", trigger="command", now=source.created_at)
        db.session.add(run)
        db.session.commit()
        done = execute(run.id)
        return done.outcome, done.reason, done.source


def test_the_newest_settled_zip_of_the_drop_folder_is_synced(app, make, tmp_path):
    _drop_source(app, make, tmp_path)
    _zip(tmp_path / "roster-old.zip", age=7200)
    (tmp_path / "roster-old.zip").write_bytes(b"not a zip any more")
    os.utime(tmp_path / "roster-old.zip", (time.time() - 7200, time.time() - 7200))
    _zip(tmp_path / "roster-new.zip", age=600)
    outcome, reason, source = _run(app)
    assert outcome == "ok", reason
    assert source.endswith("roster-new.zip")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Student.id))) == 3


def test_a_file_still_arriving_is_not_read(app, make, tmp_path):
    _drop_source(app, make, tmp_path)
    _zip(tmp_path / "roster.zip", age=5)
    outcome, reason, _ = _run(app)
    assert outcome == "failed" and "still arriving" in reason
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Student.id))) == 0


def test_a_broken_upload_stops_the_sync(app, make, tmp_path):
    _drop_source(app, make, tmp_path)
    broken = tmp_path / "roster.zip"
    broken.write_bytes(b"PK\x03\x04 half an upload")
    os.utime(broken, (time.time() - 600, time.time() - 600))
    outcome, reason, _ = _run(app)
    assert outcome == "stopped" and "empty" in reason


def test_ed_fi_interchanges_in_the_drop_folder(app, make, tmp_path):
    for file in EDFI.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
        os.utime(tmp_path / file.name, (time.time() - 600, time.time() - 600))
    code = _edfi_district_code()
    _drop_source(app, make, tmp_path, code=code)
    outcome, reason, source = _run(app)
    assert outcome == "ok", reason
    assert source == str(tmp_path)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Student.id))) > 0


def _edfi_district_code() -> str:
    import re

    text = (EDFI / "EducationOrganization.xml").read_text()
    return re.search(r"<LocalEducationAgencyId>([^<]+)<", text).group(1)


def test_the_roster_commands(app, make, tmp_path):
    make.district("MVSD", "Maple Valley School District")
    _zip(tmp_path / "roster.zip")
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["roster", "source", "--district", "MVSD", "--kind", "oneroster_rest"])
    assert bad.exit_code == 2 and "--base-url: Enter" in bad.output
    saved = runner.invoke(
        args=["roster", "source", "--district", "MVSD", "--kind", "drop_folder", "--drop-path", str(tmp_path)]
    )
    assert saved.exit_code == 0, saved.output
    shown = runner.invoke(args=["roster", "show", "--district", "MVSD"])
    assert "drop folder: " + str(tmp_path) in shown.output
    preview = runner.invoke(args=["roster", "sync", "--district", "MVSD", "--preview"])
    assert preview.exit_code == 0, preview.output
    assert "preview" in preview.output and "created" in preview.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Student.id))) == 0
    done = runner.invoke(args=["roster", "sync", "--district", "MVSD"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(args=["roster", "runs", "--district", "MVSD"])
    assert listed.output.count("Run ") == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Student.id))) == 3
        assert db.session.scalar(sa.select(sa.func.count(SyncRun.id))) == 2
