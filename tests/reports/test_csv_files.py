"""Every CSV Caseflow hands out opens correctly in a spreadsheet by double-click: UTF-8 with a
byte-order mark (without it Excel reads the file as the machine's legacy code page and turns
"Juárez" into "JuÃ¡rez"), declared as UTF-8 where it is served, through every door."""

import csv
import io

import pytest

from caseflow.db import now_utc
from caseflow.extensions import db
from tests.helpers import sign_in

BOM = b"\xef\xbb\xbf"
ACCENTED = "Escuela Benito Juárez – Ñandú"


@pytest.fixture
def accented_school(app, gate_world):
    """The gate world's school renamed with letters outside ASCII, and an emergency response
    whose caller's name has some too (both reach the CSVs)."""
    from caseflow.people.models import School, Student

    with app.app_context():
        student = db.session.get(Student, gate_world.student)
        db.session.get(School, student.school_id).name = ACCENTED
        db.session.commit()
    return gate_world


def _spreadsheet_rows(data: bytes) -> list[dict]:
    assert data.startswith(BOM), data[:20]
    assert not data[3:].startswith(BOM)  # one mark, not two
    text = data[3:].decode("utf-8")  # strict: the rest is plain UTF-8
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("path", ["/reports/civil-rights.csv", "/reports/civil-rights.csv?exact=1"])
def test_the_civil_rights_csv_download_has_a_byte_order_mark(client, accented_school, arrested, path):
    sign_in(client, accented_school.people.auditor)
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    rows = _spreadsheet_rows(response.get_data())
    assert "LEA_STATE_ID" in rows[0]  # the first column's name is not glued to the mark
    assert ACCENTED in {r["SCH_NAME"] for r in rows}


def test_the_escalation_audit_csv_download_has_a_byte_order_mark(client, accented_school, arrested):
    g = accented_school
    r = client.post(
        "/api/v1/emergency-responses",
        json={
            "student_id": g.student,
            "called_at": now_utc().isoformat(),
            "caller": "Señora Núñez",
            "what_happened": "A student collapsed; 911 was called and police came with the paramedics.",
        },
        headers=g.h.requester,
    )
    assert r.status_code == 201, r.get_json()
    sign_in(client, g.people.auditor)
    response = client.get("/reports/escalations.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    rows = _spreadsheet_rows(response.get_data())
    assert [r["kind"] for r in rows] == [  # "kind", not "\ufeffkind"
        "Emergency police response",
        "Request to involve law enforcement",
    ]
    assert {r["school"] for r in rows} == {ACCENTED}
    assert rows[0]["requested_by"].startswith("Señora Núñez")


def test_the_civil_rights_csv_from_the_command_line_has_a_byte_order_mark(
    app, accented_school, arrested, tmp_path
):
    target = tmp_path / "crdc.csv"
    result = app.test_cli_runner().invoke(args=["export", "civil-rights", "--output", str(target)])
    assert result.exit_code == 0, result.output
    rows = _spreadsheet_rows(target.read_bytes())
    assert ACCENTED in {r["SCH_NAME"] for r in rows}
    to_stdout = app.test_cli_runner().invoke(args=["export", "civil-rights", "--exact"])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert _spreadsheet_rows(to_stdout.stdout_bytes)[0]["LEA_STATE_ID"]
